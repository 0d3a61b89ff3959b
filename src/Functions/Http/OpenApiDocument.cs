using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Http;

/// <summary>A query parameter a function reads, for the OpenAPI document (functions read the query themselves).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class QueryParameterAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;

    public string Description { get; } = description;
}

/// <summary>
/// A field of a response that a request may not set: the request binds it only to refuse it by name, and the
/// document leaves it out of the request's schema.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ResponseOnlyAttribute : Attribute;

/// <summary>
/// The OpenAPI document of the HTTP functions, made by ASP.NET Core's generator (Microsoft.AspNetCore.OpenApi). The
/// generator describes endpoints; the functions are not endpoints of this app's pipeline (the worker routes them),
/// so each function is described by an endpoint built from its own method and attributes — its route and methods
/// from <c>[HttpTrigger]</c>, operationId = function name, parameters and responses from its signature — that only
/// the generator sees. The document is made once, on first request.
/// </summary>
public sealed class OpenApiDocument(IServiceProvider services)
{
    private const string RoutePrefix = "api";

    private readonly Lazy<Task<string>> _json = new(async () =>
    {
        var document = await services.GetRequiredKeyedService<IOpenApiDocumentProvider>("v1").GetOpenApiDocumentAsync();
        return await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1);
    });

    public Task<string> GetJsonAsync() => _json.Value;

    /// <summary>What the generator sees: one endpoint per HTTP function, never routed.</summary>
    public static Endpoint Describe(HttpFunction function)
    {
        var pattern = RoutePatternFactory.Parse($"/{RoutePrefix}/{function.Route}");
        var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, pattern, order: 0) { DisplayName = function.Name };
        builder.Metadata.Add(function.Method);
        builder.Metadata.Add(new EndpointNameMetadata(function.Name));
        builder.Metadata.Add(new HttpMethodMetadata(function.HttpMethods.Select(m => m.ToUpperInvariant()).ToList()));
        foreach (var attribute in function.Method.GetCustomAttributes(inherit: true))
        {
            builder.Metadata.Add(attribute);
        }

        RequestDelegateFactory.InferMetadata(function.Method, new RequestDelegateFactoryOptions
        {
            EndpointBuilder = builder,
            RouteParameterNames = pattern.Parameters.Select(p => p.Name).ToList(),
        });
        var problems = function.Method.GetCustomAttribute<ProblemResponsesAttribute>()?.StatusCodes ?? [];
        var standard = function.AllowsAnonymous ? [] : new[] { StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden };
        foreach (var status in problems.Concat(standard).Order())
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
        }

        return builder.Build();
    }

}

public static class OpenApiServices
{
    private const string BearerScheme = "bearer";

    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Payouts"] = "Payouts, their approval and payment.",
        ["Audit"] = "The append-only audit log of every payout change.",
        ["Partners"] = "Partners and what they are owed.",
        ["Organization"] = "The organization's settings.",
        ["Commissions"] = "Attributed deals and commission runs.",
        ["Statements"] = "Partner statements of a period, as PDF and JSON.",
        ["Reconciliation"] = "Payouts paid through the payment provider compared with its transfers.",
        ["Service"] = "Health and this document.",
    };

    // The merge-patch request types by schema name (the generator names a schema after its type).
    private static readonly Dictionary<string, Type> PatchTypes = typeof(PatchRequest).Assembly.GetTypes()
        .Where(type => type.IsSubclassOf(typeof(PatchRequest)))
        .ToDictionary(type => type.Name, StringComparer.Ordinal);

    public static IServiceCollection AddPartnerBaseOpenApi(this IServiceCollection services)
    {
        services.AddSingleton<OpenApiDocument>();
        // The generator reads the app's EndpointDataSource; routing does not (the worker's pipeline has its own).
        services.AddSingleton<EndpointDataSource, FunctionDescriptions>();
        return services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "PartnerBase Payouts API",
                    Version = "v1",
                    Description = "Partner payouts: create, approve, pay, audit. Money is integer minor units; errors are RFC 9457 problem+json with a stable code.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A JWT with org_id, sub and role(s) claims.",
                };
                // Relative: the document is served by the app it describes, wherever that is deployed.
                document.Servers = [new OpenApiServer { Url = "/", Description = "This Function App" }];
                document.Info.License = new OpenApiLicense { Name = "Proprietary" };
                document.Tags = new HashSet<OpenApiTag>(TagDescriptions.Select(tag => new OpenApiTag { Name = tag.Key, Description = tag.Value }));
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
                if (document.Components.Schemas?.TryGetValue("ProblemDetails", out var problem) == true && problem is OpenApiSchema problemSchema)
                {
                    // CONTRACT §1: every problem carries a stable code; validation problems name their fields.
                    problemSchema.Properties ??= new Dictionary<string, IOpenApiSchema>();
                    problemSchema.Properties["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable, machine-readable snake_case code." };
                    problemSchema.Properties["errors"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Description = "Validation failures by field.",
                        AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                    };
                }

                foreach (var (name, schema) in document.Components.Schemas ?? new Dictionary<string, IOpenApiSchema>())
                {
                    // A required request field is never null, nor is a patch field that may be left out but not
                    // cleared. (Done here, not per schema: a nullable enum becomes a oneOf with null only after the
                    // schema transformers have run.)
                    if (name.EndsWith("Request", StringComparison.Ordinal) && schema is OpenApiSchema { Properties: { } properties })
                    {
                        var notNull = (schema.Required ?? new HashSet<string>()).Concat(PatchTypes.TryGetValue(name, out var patch) ? PatchRequest.NotNullFieldsOf(patch) : []);
                        foreach (var property in notNull.Where(properties.ContainsKey))
                        {
                            properties[property] = NotNull(properties[property]);
                        }
                    }
                }

                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                DescribeRequiredness(schema, context.JsonTypeInfo);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security = [];
                }

                foreach (var query in metadata.OfType<QueryParameterAttribute>())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = query.Name,
                        In = ParameterLocation.Query,
                        Description = query.Description,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                }

                foreach (var response in operation.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>())
                {
                    // A document format beside JSON (a statement's PDF): the bytes themselves, not the JSON type's schema.
                    if (response.Content is { } content && content.TryGetValue("application/pdf", out var media) && media is OpenApiMediaType pdf)
                    {
                        pdf.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", ContentMediaType = "application/pdf" };
                    }
                }

                DescribeHeadersAndPaging(operation, metadata.OfType<IdempotentAttribute>().Any());
                return Task.CompletedTask;
            });
        });
    }

    /// <summary>
    /// The generator marks every constructor parameter required and every nullable one as maybe-null. Requests here
    /// bind everything as optional (so that a missing field is a validation_failed naming it): what the contract
    /// requires is marked <see cref="RequiredAttribute"/>, and only that is required (and, see above, never null). In responses,
    /// a field left out when null is not required.
    /// </summary>
    private static void DescribeRequiredness(OpenApiSchema schema, JsonTypeInfo typeInfo)
    {
        if ((Nullable.GetUnderlyingType(typeInfo.Type) ?? typeInfo.Type).IsEnum && schema.Enum is { } values)
        {
            // A nullable use of an enum must not put null into the enum's own component (it is a oneOf branch there).
            schema.Enum = values.Where(value => value is not null && value.GetValueKind() != System.Text.Json.JsonValueKind.Null).ToList();
        }

        if (typeInfo.Kind != JsonTypeInfoKind.Object || schema.Properties is null)
        {
            return;
        }

        var isRequest = typeInfo.Type.Name.EndsWith("Request", StringComparison.Ordinal);
        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in typeInfo.Properties.Where(p => schema.Properties.ContainsKey(p.Name)))
        {
            var attributes = property.AttributeProvider;
            if (attributes?.IsDefined(typeof(ResponseOnlyAttribute), inherit: true) == true)
            {
                schema.Properties.Remove(property.Name);
                continue;
            }

            var isRequired = isRequest
                ? attributes?.IsDefined(typeof(RequiredAttribute), inherit: true) == true
                : attributes?.GetCustomAttributes(typeof(JsonIgnoreAttribute), inherit: true).OfType<JsonIgnoreAttribute>()
                    .Any(ignore => ignore.Condition is JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault) != true;
            if (isRequired)
            {
                required.Add(property.Name);
            }
        }

        schema.Required = required;
    }

    private static IOpenApiSchema NotNull(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchema { Type: { } type } concrete)
        {
            concrete.Type = type & ~JsonSchemaType.Null;
        }
        else if (schema is OpenApiSchema { OneOf: [OpenApiSchema { Type: JsonSchemaType.Null }, var other] })
        {
            return other;
        }

        return schema;
    }

    /// <summary>The headers of CONTRACT §1 (If-Match, Idempotency-Key, ETag, Location, Idempotent-Replayed) and the page size's range.</summary>
    private static void DescribeHeadersAndPaging(OpenApiOperation operation, bool idempotent)
    {
        operation.Parameters ??= [];
        var responses = operation.Responses ??= [];
        if (responses.ContainsKey("412") && !operation.Parameters.Any(p => p.Name == "If-Match"))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "If-Match",
                In = ParameterLocation.Header,
                Description = "The ETag last read; a stale one gets 412 and changes nothing.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        if (idempotent)
        {
            operation.Parameters = operation.Parameters.Where(p => p.Name != IdempotencyMiddleware.HeaderName).ToList();
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = IdempotencyMiddleware.HeaderName,
                In = ParameterLocation.Header,
                Description = "Makes a retry safe: the same key and body return the first answer (kept 24 h).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyMiddleware.MaxKeyLength },
            });
        }

        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>().Where(p => p is { Name: "limit", In: ParameterLocation.Query }))
        {
            // Bound as text so that a bad value is a validation_failed naming it; it is an integer.
            parameter.Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Format = "int32",
                Minimum = "1",
                Maximum = PageRequest.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Default = JsonValue.Create(PageRequest.DefaultLimit),
            };
        }

        foreach (var (status, value) in responses.Where(r => r.Key is "200" or "201"))
        {
            if (value is not OpenApiResponse response)
            {
                continue;
            }

            var schema = response.Content?.Values.FirstOrDefault()?.Schema;
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            if (schema is OpenApiSchemaReference { Reference.Id: "PayoutResponse" or "PartnerResponse" or "OrganizationResponse" })
            {
                response.Headers["ETag"] = new OpenApiHeader { Description = "Strong ETag of the resource's version.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }

            if (status == "201")
            {
                response.Headers["Location"] = new OpenApiHeader { Description = "The created resource.", Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" } };
            }

            if (idempotent)
            {
                response.Headers[IdempotencyMiddleware.ReplayedHeader] = new OpenApiHeader { Description = "true when this is the saved answer to an earlier request with the same Idempotency-Key.", Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] } };
            }
        }
    }
}

/// <summary>
/// The descriptor endpoints, made when the generator first asks (the first request for the document), not at start:
/// the worker's ASP.NET Core pipeline resolves the app's EndpointDataSource while it is built.
/// </summary>
internal sealed class FunctionDescriptions : EndpointDataSource
{
    private readonly Lazy<IReadOnlyList<Endpoint>> _endpoints = new(() =>
        HttpFunctions.All.Values.OrderBy(f => f.Route, StringComparer.Ordinal).Select(OpenApiDocument.Describe).ToList());

    public override IReadOnlyList<Endpoint> Endpoints => _endpoints.Value;

    public override IChangeToken GetChangeToken() => NullChangeToken.Singleton;
}

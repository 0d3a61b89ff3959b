using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace PartnerBase.Functions.Http;

public static class OpenApiDocument
{
    public const string Route = "/api/openapi/{documentName}.json";
    private const string BearerScheme = "bearer";

    public static IServiceCollection AddPartnerBaseOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
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
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security = [];
                }

                return Task.CompletedTask;
            });
        });
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Demo;
using PartnerBase.Functions.Blobs;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Reconciliation;
using PartnerBase.Functions.Security;
using PartnerBase.Functions.Statements;
using PartnerBase.Functions.Webhooks;

namespace PartnerBase.Functions;

public static class ApiServices
{
    public static FunctionsApplicationBuilder AddPartnerBaseApi(this FunctionsApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (storage.Provider == StorageProvider.Cosmos)
        {
            services.AddCosmosStore(builder.Environment);
        }
        else
        {
            services.AddSingleton<InMemoryPayoutStore>();
            services.AddSingleton<IPayoutStore>(provider => provider.GetRequiredService<InMemoryPayoutStore>());
        }

        services.AddPayoutEvents(builder.Configuration, builder.Environment);

        services.AddSingleton<PayoutService>();
        services.AddSingleton<CommissionService>();
        services.AddDocuments(builder.Configuration, builder.Environment);
        services.AddSingleton<StatementService>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<ReconciliationService>();
        services.AddWebhooks(builder.Configuration, builder.Environment);

        services.Configure<JsonOptions>(options =>
        {
            ConfigureJson(options.SerializerOptions);
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        });
        services.AddProblemDetails(options => options.CustomizeProblemDetails = Problems.AddCode);

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            // Authority, audiences and signing keys bind from Authentication:Schemes:Bearer (Entra ID in
            // production; dotnet user-jwts in Development). Claim names stay as issued: org_id, sub, role(s).
            options.MapInboundClaims = false;
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    if (Caller.From(context.Principal!) is null)
                    {
                        context.Fail("The token has no org_id or sub claim.");
                    }

                    return Task.CompletedTask;
                },
            };
        });
        if (!builder.Environment.IsDevelopment())
        {
            // Checks the settings themselves: building JwtBearerOptions here would load the whole token stack at
            // start-up, before a cold instance can answer its first request.
            services.AddOptions<BearerSettings>().BindConfiguration("Authentication:Schemes:Bearer")
                .Validate(
                    settings => !string.IsNullOrEmpty(settings.Authority) || settings.SigningKeys is { Count: > 0 },
                    "Authentication:Schemes:Bearer:Authority (Entra ID) and ValidAudiences must be configured.")
                .ValidateOnStart();
        }

        // AddAuthentication brings data protection (for cookie handlers) with a hosted service that loads its key
        // ring at start-up; bearer tokens never use it, and a cold serverless instance should not wait for it.
        var keyRingPreload = services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService");
        if (keyRingPreload is not null)
        {
            services.Remove(keyRingPreload);
        }

        services.AddPartnerBaseOpenApi();
        if (builder.Environment.IsDevelopment())
        {
            services.AddHostedService<DemoSeeder>();
        }

        // The cross-cutting concerns of every HTTP function, outermost first; each reads what the function declares.
        builder.UseMiddleware<ProblemsMiddleware>();
        builder.UseMiddleware<AuthenticationMiddleware>();
        builder.UseMiddleware<AuthorizationMiddleware>();
        builder.UseMiddleware<IdempotencyMiddleware>();
        return builder;
    }

    /// <summary>The part of the JWT bearer settings that must be present outside Development.</summary>
    private sealed class BearerSettings
    {
        public string? Authority { get; set; }

        public List<Dictionary<string, string>>? SigningKeys { get; set; }
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        // Web defaults would read "100" as a number; money must arrive as a JSON integer.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
    }
}

using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components.WebAssembly.Authentication;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;
using Microsoft.FluentUI.AspNetCore.Components;
using PartnerBase.Console;
using PartnerBase.Console.Access;
using PartnerBase.Console.Api;

var builder = WebAssemblyHostBuilder.CreateDefault(args);
builder.RootComponents.Add<App>("#app");
builder.RootComponents.Add<HeadOutlet>("head::after");

// The API's address and scopes and the identity provider come from wwwroot/appsettings.json (CONTRACT §9); an empty
// base URL means the API is served beside the console, as under the local Functions host.
var api = builder.Configuration.GetSection("Api");
var apiBase = new Uri(new Uri(builder.HostEnvironment.BaseAddress), string.IsNullOrEmpty(api["BaseUrl"]) ? "api/" : api["BaseUrl"]);
var scopes = api.GetSection("Scopes").Get<string[]>() ?? [];

builder.Services.AddOidcAuthentication(options =>
{
    builder.Configuration.Bind("Oidc", options.ProviderOptions);
    foreach (var scope in scopes)
    {
        options.ProviderOptions.DefaultScopes.Add(scope);
    }

    options.UserOptions.RoleClaim = "roles";
}).AddAccountClaimsPrincipalFactory<RolesClaimsPrincipalFactory>();

builder.Services.AddScoped(services =>
{
    // Attaches the signed-in user's access token to API calls, and only to them.
    // The token is asked for with every scope the sign-in requested: Blazor reuses a stored token only when it was
    // granted no scope beyond those asked for, and would otherwise sign in silently again on every page load.
    var tokens = services.GetRequiredService<AuthorizationMessageHandler>().ConfigureHandler(authorizedUrls: [apiBase.ToString()], scopes: ["openid", "profile", .. scopes]);
    tokens.InnerHandler = new HttpClientHandler();
    return new ApiClient(new HttpClient(tokens) { BaseAddress = apiBase }, services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>());
});
builder.Services.AddScoped<PartnerBase.Console.Shared.BrowserInterop>();
builder.Services.AddFluentUIComponents();

await builder.Build().RunAsync();

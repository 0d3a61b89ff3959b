using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;
using PartnerBase.Console.Api;
using PartnerBase.Console.Shared;

namespace PartnerBase.Console.Tests.Components;

/// <summary>A bUnit context with what the console's components need: Fluent UI, its JS (loose), an API client that records calls.</summary>
public abstract class ComponentTest : BunitContext
{
    protected ComponentTest()
    {
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("en-US");
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddFluentUIComponents();
        Services.AddScoped<BrowserInterop>();
        Services.AddScoped(services => new ApiClient(new HttpClient(Api) { BaseAddress = new Uri("http://api.test/api/") }, services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>()));
    }

    protected RecordingApi Api { get; } = new();

    /// <summary>Answers every call with a 503 problem and remembers it.</summary>
    protected sealed class RecordingApi : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable)
            {
                Content = new StringContent("{\"title\":\"Unavailable\",\"detail\":\"test double\",\"code\":\"unavailable\"}", System.Text.Encoding.UTF8, "application/problem+json"),
            });
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PartnerBase.Functions.Tests.Webhooks;

namespace PartnerBase.Console.Tests;

/// <summary>
/// The Webhooks page (CONTRACT §9, §11): an admin adds an endpoint, keeps its secret (shown once), tests it against a
/// receiver of the test's own and manages it; other roles are not offered the page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class WebhooksTests(ConsoleApp app)
{
    [Fact]
    public async Task AddEndpoint_ThenSendTestEvent_ShowsTheSecretOnceAndTheSucceededDelivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        await browser.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Webhooks", Exact = true }).ClickAsync();
        await Expect(page.GetByText("No webhook endpoints yet.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Add endpoint" });
        await dialog.GetByLabel("URL", new() { Exact = true }).FillAsync(receiver.Url);
        await dialog.GetByLabel("Only these events").CheckAsync();
        await dialog.GetByLabel("payout.paid", new() { Exact = true }).CheckAsync();
        await dialog.GetByLabel("payout.approved", new() { Exact = true }).CheckAsync();
        await dialog.GetByLabel("Description (optional)").FillAsync("Ledger sync");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add endpoint", Exact = true }).ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        var secretField = page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" });
        await Expect(secretField).ToHaveValueAsync(WebhookSecret());
        await Expect(secretField).ToBeEditableAsync(new() { Editable = false });
        await Expect(secretField).ToBeFocusedAsync();
        await Expect(page.GetByText("It will not be shown again.")).ToBeVisibleAsync();
        var secret = await secretField.InputValueAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy secret", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Copied" })).ToHaveTextAsync("Copied to the clipboard.");
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        var endpointRow = Controls.DataRows(page).Filter(new() { HasText = receiver.Url });
        await Expect(endpointRow).ToContainTextAsync("payout.approved, payout.paid");
        await Expect(endpointRow).ToContainTextAsync("Enabled");
        await Expect(endpointRow).ToContainTextAsync("Ledger sync");
        await Expect(page.GetByText("No deliveries yet.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Send test event", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "test event" })).ToContainTextAsync("The test event succeeded: HTTP 200 in");
        var received = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("application/cloudevents+json", received.ContentType);
        Assert.Equal("com.partnerbase.webhook.test", JsonNode.Parse(received.Body)!["type"]!.GetValue<string>());
        Assert.True(received.SignedWith(secret), $"The request's signature {received.Signature} is not that of the secret shown.");
        var delivery = Controls.DataRows(page.GetByRole(AriaRole.Table, new() { Name = "Deliveries" }));
        await Expect(delivery).ToHaveCountAsync(1);
        await Expect(delivery.GetByRole(AriaRole.Cell).Nth(0)).ToHaveTextAsync($"webhook.test {received.Id}");
        await Expect(delivery.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("Succeeded");
        await Expect(delivery.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        await Expect(delivery.GetByRole(AriaRole.Listitem)).ToContainTextAsync(new Regex(@" · HTTP 200 · [\d,]+ ms$"));
        await Expect(delivery.GetByRole(AriaRole.Cell).Nth(4)).ToHaveTextAsync("—");

        await page.ReloadAsync();

        await Expect(delivery.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("Succeeded", new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" })).ToHaveCountAsync(0);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_ADelivery_SendsItAgainAndShowsTheSecondAttempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = new TestOrg(app);
        var endpoint = await CreateEndpointAsync(org, receiver.Url);
        await SendTestEventAsync(org, endpoint);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GotoAsync("/webhooks");
        var delivery = Controls.DataRows(page.GetByRole(AriaRole.Table, new() { Name = "Deliveries" }));
        await Expect(delivery.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1, new() { Timeout = 60_000 });

        await delivery.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "retry" })).ToContainTextAsync("The retry of webhook.test succeeded: HTTP 200");
        await Expect(delivery.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        var received = await receiver.WaitForAsync(2);
        Assert.Equal(received[0].Id, received[1].Id);
    }

    [Fact]
    public async Task DisableThenEnable_ChangesTheStatusWithTheVersionShown()
    {
        var org = new TestOrg(app);
        var endpoint = await CreateEndpointAsync(org, "http://127.0.0.1:9/unused");
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GotoAsync("/webhooks");
        var actions = page.GetByRole(AriaRole.Group, new() { Name = "Endpoint actions" });
        var row = Controls.DataRows(page.GetByRole(AriaRole.Table, new() { Name = "Webhook endpoints" }));

        await actions.GetByRole(AriaRole.Button, new() { Name = "Disable", Exact = true }).ClickAsync(new() { Timeout = 60_000 });

        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The endpoint was disabled");
        await Expect(row).ToContainTextAsync("Disabled by admin-1.");
        Assert.Equal("disabled", (await GetEndpointAsync(org, endpoint))["status"]!.GetValue<string>());

        await actions.GetByRole(AriaRole.Button, new() { Name = "Enable", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The endpoint was enabled");
        await Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("Enabled");
        var stored = await GetEndpointAsync(org, endpoint);
        Assert.Equal("enabled", stored["status"]!.GetValue<string>());
        Assert.Equal(3, stored["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Disable_AfterSomeoneElsesChange_SaysSoAndChangesNothing()
    {
        var org = new TestOrg(app);
        var endpoint = await CreateEndpointAsync(org, "http://127.0.0.1:9/unused");
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GotoAsync("/webhooks");
        var disable = page.GetByRole(AriaRole.Button, new() { Name = "Disable", Exact = true });
        await Expect(disable).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var changed = await org.Admin.PatchAsJsonAsync($"/api/webhook-endpoints/{endpoint}", new { description = "Changed meanwhile" }, TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(changed, HttpStatusCode.OK);

        await disable.ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("changed by someone else");
        await Expect(Controls.DataRows(page.GetByRole(AriaRole.Table, new() { Name = "Webhook endpoints" }))).ToContainTextAsync("Changed meanwhile");
        Assert.Equal("enabled", (await GetEndpointAsync(org, endpoint))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_AfterConfirmation_RemovesTheEndpoint()
    {
        var org = new TestOrg(app);
        var endpoint = await CreateEndpointAsync(org, "http://127.0.0.1:9/gone");
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GotoAsync("/webhooks");
        var delete = page.GetByRole(AriaRole.Group, new() { Name = "Endpoint actions" }).GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true });
        await delete.ClickAsync(new() { Timeout = 60_000 });
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Delete endpoint?" });
        await Expect(dialog).ToContainTextAsync("http://127.0.0.1:9/gone");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(Controls.DataRows(page)).ToHaveCountAsync(1);

        await delete.ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The endpoint http://127.0.0.1:9/gone was deleted.");
        await Expect(page.GetByText("No webhook endpoints yet.")).ToBeVisibleAsync();
        var response = await org.Admin.GetAsync($"/api/webhook-endpoints/{endpoint}", TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Deliveries_MoreThanAPage_NextAndPreviousByCursor()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = new TestOrg(app);
        var endpoint = await CreateEndpointAsync(org, receiver.Url);
        var first = await SendTestEventAsync(org, endpoint);
        for (var i = 0; i < 25; i++)
        {
            await SendTestEventAsync(org, endpoint);
        }

        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GotoAsync("/webhooks");
        var deliveries = Controls.DataRows(page.GetByRole(AriaRole.Table, new() { Name = "Deliveries" }));
        var pages = page.GetByRole(AriaRole.Navigation, new() { Name = "Delivery pages" });
        await Expect(deliveries).ToHaveCountAsync(25, new() { Timeout = 60_000 });
        await Expect(pages.GetByRole(AriaRole.Button, new() { Name = "Previous" })).ToBeDisabledAsync();

        await pages.GetByRole(AriaRole.Button, new() { Name = "Next" }).ClickAsync();

        // The oldest, alone on the second page.
        await Expect(deliveries).ToHaveCountAsync(1);
        await Expect(deliveries.GetByRole(AriaRole.Cell).First).ToContainTextAsync(first["eventId"]!.GetValue<string>());
        await Expect(pages.GetByRole(AriaRole.Button, new() { Name = "Next" })).ToBeDisabledAsync();

        await pages.GetByRole(AriaRole.Button, new() { Name = "Previous" }).ClickAsync();

        await Expect(deliveries).ToHaveCountAsync(25);
        await Expect(pages.GetByRole(AriaRole.Button, new() { Name = "Previous" })).ToBeDisabledAsync();
    }

    [Fact]
    public async Task Nav_AsApprover_HasNoWebhooks()
    {
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        await app.SignInAsync(page, org.Id, "approver-1", "approver");

        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Payouts", Exact = true })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Webhooks", Exact = true })).ToHaveCountAsync(0);

        await page.GotoAsync("/webhooks");

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Only an admin", new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Screenshot_EndpointWithDeliveries_IsSavedWideAndNarrow()
    {
        // With WEBHOOKS_SCREENSHOTS set to a folder the pictures go there, to be looked at; otherwise to the test's output.
        var folder = Environment.GetEnvironmentVariable("WEBHOOKS_SCREENSHOTS") is { Length: > 0 } target ? Path.GetFullPath(target) : AppContext.BaseDirectory;
        Directory.CreateDirectory(folder);
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = new TestOrg(app);
        var endpoint = await CreateEndpointAsync(org, receiver.Url, "Ledger sync (finance)");
        await CreateEndpointAsync(org, "http://127.0.0.1:9/never-answers");
        receiver.Respond = (_, _) => Task.FromResult(500);
        await SendTestEventAsync(org, endpoint);
        receiver.Respond = (_, _) => Task.FromResult(200);
        await SendTestEventAsync(org, endpoint);

        foreach (var (width, name) in new[] { (1280, "webhooks-desktop.png"), (390, "webhooks-390.png") })
        {
            await using var browser = await app.OpenAsync(width, 844);
            var page = browser.Page;
            await app.SignInAsync(page, org.Id, "admin-screenshot", "admin");
            await page.GotoAsync("/webhooks");
            await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret", Exact = true }).ClickAsync(new() { Timeout = 60_000 });
            await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" })).ToBeVisibleAsync();
            await Expect(Controls.DataRows(page.GetByRole(AriaRole.Table, new() { Name = "Deliveries" }))).ToHaveCountAsync(2);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

            var png = await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = true });

            Assert.True(png.Length > 10_000, $"{name} has only {png.Length} bytes");
        }
    }

    /// <summary>An endpoint of all events, made through the API as an admin; returns its id.</summary>
    internal static async Task<string> CreateEndpointAsync(TestOrg org, string url, string? description = null)
    {
        var response = await org.Admin.PostAsJsonAsync("/api/webhook-endpoints", new { url, eventTypes = new[] { "*" }, description }, TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(response, HttpStatusCode.Created);
        return (await TestOrg.JsonAsync(response))["id"]!.GetValue<string>();
    }

    /// <summary>Sends a test event through the API; returns its delivery.</summary>
    internal static async Task<JsonObject> SendTestEventAsync(TestOrg org, string endpointId)
    {
        var response = await org.Admin.PostAsync($"/api/webhook-endpoints/{endpointId}/test", JsonContent.Create(new { }), TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(response, HttpStatusCode.OK);
        return await TestOrg.JsonAsync(response);
    }

    private static async Task<JsonObject> GetEndpointAsync(TestOrg org, string endpointId)
    {
        var response = await org.Admin.GetAsync($"/api/webhook-endpoints/{endpointId}", TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(response, HttpStatusCode.OK);
        return await TestOrg.JsonAsync(response);
    }

    [GeneratedRegex("^whsec_[A-Za-z0-9+/]+=*$")]
    private static partial Regex WebhookSecret();
}

using System.Globalization;
using PartnerBase.Console.Api;
using PartnerBase.Console.Pages.Webhooks;
using PartnerBase.Core.Webhooks;
using WebhookAttempt = PartnerBase.Console.Api.WebhookAttempt;
using WebhookDelivery = PartnerBase.Console.Api.WebhookDelivery;

namespace PartnerBase.Console.Tests.Components;

public sealed class WebhookTextTests
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");
    private static readonly CultureInfo German = CultureInfo.GetCultureInfo("de-DE");
    private static readonly DateTime At = new(2026, 12, 7, 15, 4, 5, DateTimeKind.Utc);

    private static string Local(DateTime at, CultureInfo culture) => at.ToLocalTime().ToString("G", culture);

    [Fact]
    public void Attempt_Answered_IsTimeStatusCodeAndDuration() =>
        Assert.Equal($"{Local(At, English)} · HTTP 200 · 35 ms", WebhookText.Attempt(new WebhookAttempt(At, 200, null, 35), English));

    [Fact]
    public void Attempt_NoAnswer_IsTheError() =>
        Assert.Equal(
            $"{Local(At, English)} · No answer in 15 s. · 15,000 ms",
            WebhookText.Attempt(new WebhookAttempt(At, null, "No answer in 15 s.", 15_000), English));

    [Fact]
    public void Attempt_AnsweredButFailed_IsTheStatusCodeAndWhy() =>
        Assert.Equal(
            $"{Local(At, English)} · HTTP 302: Redirects are not followed. · 8 ms",
            WebhookText.Attempt(new WebhookAttempt(At, 302, "Redirects are not followed.", 8), English));

    [Fact]
    public void Attempt_InGerman_FormatsTimeAndDurationThatWay() =>
        Assert.Equal($"{Local(At, German)} · HTTP 503 · 1.250 ms", WebhookText.Attempt(new WebhookAttempt(At, 503, null, 1_250), German));

    [Fact]
    public void Attempt_NeitherStatusNorError_SaysNoAnswer() =>
        Assert.Equal($"{Local(At, English)} · No answer · 0 ms", WebhookText.Attempt(new WebhookAttempt(At, null, null, 0), English));

    [Theory]
    [InlineData("com.partnerbase.payout.approved", "payout.approved")]
    [InlineData("com.partnerbase.webhook.test", "webhook.test")]
    [InlineData("payout.paid", "payout.paid")]
    public void EventType_WithoutThePrefix(string type, string expected) => Assert.Equal(expected, WebhookText.EventType(type));

    [Fact]
    public void Subscription_All_IsAllEvents() => Assert.Equal("All events", WebhookText.Subscription(["*"]));

    [Fact]
    public void Subscription_Chosen_InTheOrderOfTheEvents() =>
        Assert.Equal("payout.created, payout.approved, payout.paid", WebhookText.Subscription(["payout.paid", "payout.created", "payout.approved"]));

    [Fact]
    public void NextAttempt_Pending_IsItsTime_OtherwiseADash()
    {
        var next = At.AddMinutes(5);
        Assert.Equal(Local(next, English), WebhookText.NextAttempt(Delivery(WebhookDeliveryStatus.Pending, next, new WebhookAttempt(At, 500, null, 3)), English));
        Assert.Equal("—", WebhookText.NextAttempt(Delivery(WebhookDeliveryStatus.Succeeded, null, new WebhookAttempt(At, 200, null, 3)), English));
        Assert.Equal("—", WebhookText.NextAttempt(Delivery(WebhookDeliveryStatus.Failed, next), English));
    }

    [Fact]
    public void Outcome_Succeeded_SaysTheAnswerOfTheLastAttempt() =>
        Assert.Equal(
            "The test event succeeded: HTTP 204 in 12 ms.",
            WebhookText.Outcome("The test event", Delivery(WebhookDeliveryStatus.Succeeded, null, new WebhookAttempt(At, 500, null, 40), new WebhookAttempt(At.AddSeconds(5), 204, null, 12)), English));

    [Fact]
    public void Outcome_FailedWithARetryDue_SaysWhen() =>
        Assert.Equal(
            $"The test event failed (No answer in 15 s. in 15,000 ms); it will be tried again at {Local(At.AddSeconds(5), English)}.",
            WebhookText.Outcome("The test event", Delivery(WebhookDeliveryStatus.Pending, At.AddSeconds(5), new WebhookAttempt(At, null, "No answer in 15 s.", 15_000)), English));

    [Fact]
    public void Outcome_FailedForGood_SaysSo() =>
        Assert.Equal(
            "The retry of payout.paid failed (HTTP 410 in 9 ms).",
            WebhookText.Outcome("The retry of payout.paid", Delivery(WebhookDeliveryStatus.Failed, null, new WebhookAttempt(At, 410, null, 9)), English));

    [Fact]
    public void Outcome_NoAttemptYet_SaysItIsBeingSent() =>
        Assert.Equal("The test event is being sent; its attempt will show below.", WebhookText.Outcome("The test event", Delivery(WebhookDeliveryStatus.Pending, At), English));

    [Fact]
    public void TryReadEventTypes_All_IsTheWildcard()
    {
        Assert.True(WebhookText.TryReadEventTypes(all: true, new HashSet<string> { "payout.paid" }, out var types, out var error));
        Assert.Equal(["*"], types);
        Assert.Null(error);
    }

    [Fact]
    public void TryReadEventTypes_Chosen_InTheOrderOfTheEvents()
    {
        Assert.True(WebhookText.TryReadEventTypes(all: false, new HashSet<string> { "payout.paid", "payout.approved" }, out var types, out _));
        Assert.Equal(["payout.approved", "payout.paid"], types);
    }

    [Fact]
    public void TryReadEventTypes_NoneChosen_AsksForOne()
    {
        Assert.False(WebhookText.TryReadEventTypes(all: false, new HashSet<string>(), out _, out var error));
        Assert.Equal("Choose at least one event type, or All events.", error);
    }

    [Fact]
    public void EventTypes_AreThoseOfTheContractWithoutThePrefix() =>
        Assert.Equal(
            ["payout.created", "payout.updated", "payout.deleted", "payout.approved", "payout.rejected", "payout.processing", "payout.paid", "payout.failed"],
            WebhookText.EventTypes);

    private static WebhookDelivery Delivery(WebhookDeliveryStatus status, DateTime? next, params WebhookAttempt[] attempts) =>
        new("whd_1", "evt_1", "com.partnerbase.webhook.test", status, attempts, next, At);
}

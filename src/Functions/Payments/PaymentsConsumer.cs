using System.Text.Json;
using PartnerBase.Core.Payments;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Payments;

/// <summary>
/// The <c>payments</c> subscription: an approved payout is paid automatically when its organization has
/// <c>automaticPayments</c> and its partner an account and, where required, a verified tax form (<see cref="PaymentService"/>). A failed payout that finance
/// moves back to processing is attempted again, so a user's <c>payout.processing</c> counts too.
/// </summary>
public sealed partial class PaymentsConsumer(PaymentService payments, ILogger<PaymentsConsumer> logger) : IPayoutEventConsumer
{
    public const string ApprovedType = PayoutCloudEvents.TypePrefix + "payout.approved";
    public const string ProcessingType = PayoutCloudEvents.TypePrefix + "payout.processing";

    public string Name => Subscriptions.Payments;

    public async Task HandleAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken)
    {
        // The system's own move to processing is part of a payment already under way.
        if (payoutEvent.Type == ProcessingType && ActorKind(payoutEvent) != "user")
        {
            return;
        }

        if (await payments.PayAsync(payoutEvent.OrgId, payoutEvent.PayoutId, cancellationToken) == PaymentOutcome.PayeeNotPayable)
        {
            LogPayeeNotPayable(logger, payoutEvent.PayoutId, payoutEvent.OrgId, payoutEvent.PartnerId);
        }
    }

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Payout {PayoutId} of organization {OrgId} is not paid automatically: partner {PartnerId} has no verified tax form, which the organization requires (payee_not_payable). Finance releases it with mark-processing once the form is verified.")]
    private static partial void LogPayeeNotPayable(ILogger logger, string payoutId, string orgId, string? partnerId);

    private static string? ActorKind(DeliveredEvent payoutEvent) =>
        payoutEvent.Data.TryGetProperty("actor", out var actor) && actor.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String
            ? kind.GetString()
            : null;
}

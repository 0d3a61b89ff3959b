using System.Text.Json;
using PartnerBase.Core.Payments;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Payments;

/// <summary>
/// The <c>payments</c> subscription: an approved payout is paid automatically when its organization has
/// <c>automaticPayments</c> and its partner an account (<see cref="PaymentService"/>). A failed payout that finance
/// moves back to processing is attempted again, so a user's <c>payout.processing</c> counts too.
/// </summary>
public sealed class PaymentsConsumer(PaymentService payments) : IPayoutEventConsumer
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

        await payments.PayAsync(payoutEvent.OrgId, payoutEvent.PayoutId, cancellationToken);
    }

    private static string? ActorKind(DeliveredEvent payoutEvent) =>
        payoutEvent.Data.TryGetProperty("actor", out var actor) && actor.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String
            ? kind.GetString()
            : null;
}

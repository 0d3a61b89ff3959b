namespace PartnerBase.Functions.Payments;

public enum PaymentProvider
{
    /// <summary>The embedded default: pretends to pay (see <c>SimulatedPaymentGateway</c>).</summary>
    Simulated,

    /// <summary>Stripe Connect transfers from the platform balance to partners' connected accounts.</summary>
    Stripe,
}

public sealed class PaymentOptions
{
    public const string Section = "Payments";

    /// <summary><c>Simulated</c> (the default) or <c>Stripe</c>.</summary>
    public PaymentProvider Provider { get; set; } = PaymentProvider.Simulated;

    public StripeOptions Stripe { get; set; } = new();

    /// <summary>False when the chosen provider lacks a setting it cannot work without.</summary>
    public bool IsValid => Provider != PaymentProvider.Stripe || !string.IsNullOrWhiteSpace(Stripe.ApiKey);
}

public sealed class StripeOptions
{
    /// <summary>The platform's secret (<c>sk_…</c>) or restricted (<c>rk_…</c>) key. Required with the Stripe provider.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Another base URL for the API, such as http://127.0.0.1:12111. For tests and local mocks only.</summary>
    public Uri? ApiBase { get; set; }
}

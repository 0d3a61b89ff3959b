namespace PartnerBase.Functions.Notifications;

public enum EmailProvider
{
    /// <summary>Logs recipient and subject instead of sending (the embedded default).</summary>
    Log,
    Smtp,
}

/// <summary>Settings section <c>Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    public EmailProvider Provider { get; set; } = EmailProvider.Log;

    /// <summary>Used when <see cref="Provider"/> is <see cref="EmailProvider.Smtp"/>; validated at start then.</summary>
    public SmtpOptions Smtp { get; set; } = new();
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>The client authenticates only when a username is set.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>The sender's address, e.g. <c>PartnerBase &lt;payouts@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary>STARTTLS when the server offers it (implicit TLS on port 465); false = plain, for local test servers.</summary>
    public bool UseTls { get; set; } = true;
}

using PartnerBase.Functions.Notifications;
using PartnerBase.SmtpLocal;

namespace PartnerBase.Functions.Tests.Notifications;

/// <summary>The local SMTP server of tools/smtp-local, one per test class. Fails with a clear message, never skips.</summary>
public sealed class SmtpServer : IAsyncLifetime
{
    public const string FromAddress = "payouts@partnerbase.test";

    private LocalSmtpServer? _local;

    public LocalSmtpServer Local => _local ?? throw new InvalidOperationException("The SMTP server has not started.");

    public NotificationOptions Options(string? username = null, string? password = null) => new()
    {
        Provider = EmailProvider.Smtp,
        Smtp = new SmtpOptions
        {
            Host = LocalSmtpServer.Host,
            Port = Local.Port,
            From = $"PartnerBase <{FromAddress}>",
            UseTls = false,
            Username = username,
            Password = password,
        },
    };

    public SmtpEmailSender CreateSender(string? username = null, string? password = null) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(username, password)));

    /// <summary>
    /// The messages to <paramref name="recipient"/> among everything sent before this call. The server prints each
    /// message before it acknowledges it, so once a marker sent now has arrived, every earlier one has too.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedEmail>> ReceivedByAsync(string recipient)
    {
        var marker = $"marker-{Guid.NewGuid():N}@partnerbase.test";
        await CreateSender().SendAsync(new EmailMessage(marker, "marker", "marker"), TestContext.Current.CancellationToken);
        await Local.WaitForAsync(message => message.To.Contains(marker));
        return [.. Local.Received.Where(message => message.To.Contains(recipient, StringComparer.OrdinalIgnoreCase))];
    }

    public async ValueTask InitializeAsync() => _local = await LocalSmtpServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_local is not null)
        {
            await _local.DisposeAsync();
        }
    }
}

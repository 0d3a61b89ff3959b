using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using PartnerBase.Functions.Notifications;

namespace PartnerBase.Functions.Tests.Notifications;

public sealed class SmtpEmailSenderTests(SmtpServer smtp) : IClassFixture<SmtpServer>
{
    [Fact]
    public async Task SendAsync_ToLocalServer_DeliversRecipientSubjectAndBody()
    {
        var recipient = $"partner-{Guid.NewGuid():N}@example.test";
        var body = "Your payout has been paid.\n\nAmount: EUR 1,250.00\nPartner: Zürich Consulting — AG";

        await smtp.CreateSender().SendAsync(new EmailMessage(recipient, "Payout po_1 paid: EUR 1,250.00 (Zürich)", body), TestContext.Current.CancellationToken);

        var received = Assert.Single(await smtp.ReceivedByAsync(recipient));
        Assert.Equal(SmtpServer.FromAddress, received.From);
        Assert.Equal([recipient], received.To);
        Assert.Equal("Payout po_1 paid: EUR 1,250.00 (Zürich)", received.Subject);
        Assert.Equal(body, received.Text.ReplaceLineEndings("\n").TrimEnd('\n'));
    }

    [Fact]
    public async Task SendAsync_WithUsername_AuthenticatesAndDelivers()
    {
        var recipient = $"approver-{Guid.NewGuid():N}@example.test";

        await smtp.CreateSender("mailer", "secret").SendAsync(new EmailMessage(recipient, "Authenticated", "Hello"), TestContext.Current.CancellationToken);

        var received = Assert.Single(await smtp.ReceivedByAsync(recipient));
        Assert.Equal("Authenticated", received.Subject);
    }

    [Fact]
    public async Task SendAsync_ServerUnreachable_Throws()
    {
        using var refusing = new RefusingPort();
        var options = smtp.Options();
        options.Smtp.Port = refusing.Port;
        var sender = new SmtpEmailSender(Options.Create(options));

        await Assert.ThrowsAsync<SocketException>(() =>
            sender.SendAsync(new EmailMessage("nobody@example.test", "Lost", "Lost"), TestContext.Current.CancellationToken));
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Notifications;

namespace PartnerBase.Functions.Tests.Notifications;

public sealed class NotificationServicesTests
{
    [Fact]
    public void AddNotifications_NoSettings_LogsEmailsAndRegistersTheConsumer()
    {
        using var provider = Build([]);

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.IsType<LogEmailSender>(provider.GetRequiredService<IEmailSender>());
        var consumer = Assert.Single(provider.GetServices<IPayoutEventConsumer>());
        Assert.IsType<NotificationsConsumer>(consumer);
        Assert.Equal("notifications", consumer.Name);
        Assert.True(Subscriptions.Takes(consumer.Name, "com.partnerbase.payout.deleted"));
    }

    [Fact]
    public void AddNotifications_Smtp_SendsThroughSmtpWithDefaults()
    {
        using var provider = Build(new()
        {
            ["Notifications:Provider"] = "Smtp",
            ["Notifications:Smtp:Host"] = "smtp.example.test",
            ["Notifications:Smtp:From"] = "PartnerBase <payouts@example.test>",
        });

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.IsType<SmtpEmailSender>(provider.GetRequiredService<IEmailSender>());
        var smtp = provider.GetRequiredService<IOptions<NotificationOptions>>().Value.Smtp;
        Assert.Equal(587, smtp.Port);
        Assert.True(smtp.UseTls);
        Assert.Null(smtp.Username);
    }

    [Theory]
    [InlineData(null, "payouts@example.test", "Notifications:Smtp:Host")]
    [InlineData("smtp.example.test", null, "Notifications:Smtp:From")]
    [InlineData("smtp.example.test", "not an address", "Notifications:Smtp:From")]
    public void AddNotifications_SmtpMisconfigured_FailsAtStartNamingTheSetting(string? host, string? from, string setting)
    {
        using var provider = Build(new()
        {
            ["Notifications:Provider"] = "Smtp",
            ["Notifications:Smtp:Host"] = host,
            ["Notifications:Smtp:From"] = from,
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSingleton<IPayoutStore>(new InMemoryPayoutStore(TimeProvider.System));
        services.AddNotifications();
        return services.BuildServiceProvider();
    }
}

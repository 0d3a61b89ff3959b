using Microsoft.Extensions.Options;
using MimeKit;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Notifications;

public static class NotificationServices
{
    /// <summary>The <c>notifications</c> consumer and the email sender that <c>Notifications:Provider</c> names (SMTP settings validated at start).</summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section)
            .Validate(options => !IsSmtp(options) || !string.IsNullOrWhiteSpace(options.Smtp.Host), "Notifications:Smtp:Host must be set when Notifications:Provider is Smtp.")
            .Validate(options => !IsSmtp(options) || options.Smtp.Port is > 0 and <= 65535, "Notifications:Smtp:Port must be between 1 and 65535.")
            .Validate(options => !IsSmtp(options) || options.Smtp.From is { } from && MailboxAddress.TryParse(from, out _), "Notifications:Smtp:From must be an email address when Notifications:Provider is Smtp.")
            .ValidateOnStart();
        services.AddSingleton<LogEmailSender>();
        services.AddSingleton<SmtpEmailSender>();
        services.AddSingleton<IEmailSender>(provider => IsSmtp(provider.GetRequiredService<IOptions<NotificationOptions>>().Value)
            ? provider.GetRequiredService<SmtpEmailSender>()
            : provider.GetRequiredService<LogEmailSender>());
        services.AddSingleton<IPayoutEventConsumer, NotificationsConsumer>();
        return services;
    }

    private static bool IsSmtp(NotificationOptions options) => options.Provider == EmailProvider.Smtp;
}

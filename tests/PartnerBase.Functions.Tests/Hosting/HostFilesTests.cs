using System.Globalization;
using System.Text.Json;
using NCrontab;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>host.json and local.settings.sample.json as CONTRACT §7 and the Functions host document them.</summary>
public sealed class HostFilesTests
{
    [Fact]
    public void HostJson_Version_Is2()
    {
        Assert.Equal("2.0", HostJson().GetProperty("version").GetString());
    }

    [Fact]
    public void HostJson_HasNoExtensionBundleAndNoCustomHandler()
    {
        // A dotnet-isolated app takes its extensions from its build; older hosts start no function at all with a bundle.
        var hostJson = HostJson();

        Assert.False(hostJson.TryGetProperty("extensionBundle", out _), "host.json has an extensionBundle");
        Assert.False(hostJson.TryGetProperty("customHandler", out _), "host.json has a customHandler");
    }

    [Fact]
    public void HostJson_HttpRoutePrefix_IsApi()
    {
        Assert.Equal("api", HostJson().GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void HostJson_FunctionTimeout_IsWithinWhatFlexConsumptionAllows()
    {
        // Flex Consumption: default 30 minutes, no enforced maximum; the value must be a TimeSpan (or absent).
        if (HostJson().TryGetProperty("functionTimeout", out var timeout))
        {
            Assert.True(TimeSpan.TryParse(timeout.GetString(), CultureInfo.InvariantCulture, out var value), $"functionTimeout {timeout} is not hh:mm:ss");
            Assert.InRange(value, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));
        }
    }

    [Fact]
    public void LocalSettingsSample_RunsTheIsolatedWorker_AndSetsEveryScheduleSetting()
    {
        var settings = LocalSettingsSample();

        Assert.Equal("dotnet-isolated", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.All(TimerFunctions, timer =>
        {
            var setting = timer.Value.Trim('%');
            Assert.True(settings.TryGetValue(setting, out var schedule), $"{timer.Key} reads %{setting}%, which local.settings.sample.json does not set");
            Assert.NotNull(CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }));
        });
    }

    [Fact]
    public void LocalSettingsSample_HasNoSecrets()
    {
        // The Cosmos key is the emulator's public one; anything else secret is left empty.
        var settings = LocalSettingsSample();

        Assert.All(new[] { "Payments__Stripe__ApiKey", "Notifications__Smtp__Password" }, name => Assert.Equal("", settings[name]));
        Assert.DoesNotContain(settings, s => s.Value.StartsWith("sk_", StringComparison.Ordinal) || s.Value.Contains("SharedAccessKey=", StringComparison.Ordinal));
    }

    [Fact]
    public void CommissionRun_DefaultSchedule_IsMonthlyAt2OnThe1st()
    {
        var schedule = LocalSettingsSample()["CommissionRunSchedule"];

        // NCrontab is the library that parses the Timer trigger's schedules in the Functions host.
        var parsed = CrontabSchedule.Parse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        Assert.Equal(new DateTime(2026, 2, 1, 2, 0, 0, DateTimeKind.Unspecified), parsed.GetNextOccurrence(new DateTime(2026, 1, 15, 12, 0, 0, DateTimeKind.Unspecified)));
    }
}

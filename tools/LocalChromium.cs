using Microsoft.Playwright;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// Debian's Chromium driven by Playwright (Playwright cannot download its own browsers here), for the console's browser
/// tests and its benchmark. Without the background-networking switches Chromium keeps calling Google's hosts, which
/// this machine's closed network refuses.
/// </summary>
public static class LocalChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    /// <exception cref="InvalidOperationException">Chromium is not installed.</exception>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        ArgumentNullException.ThrowIfNull(playwright);
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"Chromium is needed at {ExecutablePath}: install it with `apt-get install chromium` (.ci/run does).");
        }

        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true, Args = Arguments });
    }
}

namespace PartnerBase.FunctionsLocal;

public sealed class LocalHostOptions
{
    /// <summary>The Function App's build output: worker.config.json, host.json, local.settings.json.</summary>
    public string AppDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>
    /// Where the HTTP front listens (<c>http://127.0.0.1:0</c> for any free port). Empty: local.settings.json
    /// <c>Host.LocalHttpPort</c>, else <c>ASPNETCORE_URLS</c>, else <c>http://localhost:7071</c>.
    /// </summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>Origins allowed by CORS (<c>*</c> for any), as Core Tools' <c>--cors</c>. Empty: local.settings.json <c>Host.CORS</c>.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>App settings that win over local.settings.json and the environment.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>False: timers run only when invoked (<see cref="LocalFunctionsHost.InvokeAsync"/> or the admin route).</summary>
    public bool RunTimersOnSchedule { get; init; } = true;

    /// <summary>
    /// A Blazor WebAssembly console served at <c>/</c>: its build output (with <c>*.staticwebassets.runtime.json</c>) or
    /// its publish folder. Null: no console; a folder without <c>*.staticwebassets.endpoints.json</c> is ignored.
    /// </summary>
    public string? ConsoleDirectory { get; init; }

    /// <summary>
    /// The app's <c>UserSecretsId</c>: where development sign-in finds (or creates) the <c>dotnet user-jwts</c> signing key
    /// unless the app settings carry one.
    /// </summary>
    public string? UserSecretsId { get; init; }

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// With <c>AzureWebJobsStorage</c>: how long a timer's listener lock (a blob lease, 15–60 s) lasts; the holder renews
    /// it at half the period. The Functions host's is 60 s.
    /// </summary>
    public TimeSpan TimerLockPeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>With <c>AzureWebJobsStorage</c>: how often a host without a timer's lock tries to take it. The Functions host's is 60 s.</summary>
    public TimeSpan TimerLockRetryInterval { get; init; } = TimeSpan.FromSeconds(60);
}

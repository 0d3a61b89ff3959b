using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration.UserSecrets;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// The signing key of <c>dotnet user-jwts</c>, which the worker trusts in Development: from the app settings the worker
/// gets, else from the app's user secrets, where it is created (as <c>dotnet user-jwts create</c> does) when missing.
/// </summary>
internal sealed record UserJwtsKey(string TokenIssuer, string Audience, byte[] Secret)
{
    public const string DefaultIssuer = "dotnet-user-jwts";

    // What dotnet user-jwts writes for a project whose launch profile listens on the Functions port.
    private const string DefaultAudience = "http://localhost:7071";
    private const string SigningKeysSetting = "Authentication:Schemes:Bearer:SigningKeys";

    /// <summary>The key, or null (with the reason logged) when there is neither a setting nor a user-secrets id.</summary>
    public static UserJwtsKey? Resolve(IReadOnlyDictionary<string, string> workerEnvironment, string? userSecretsId, ILogger logger)
    {
        string? Setting(string name) =>
            workerEnvironment.GetValueOrDefault(name.Replace(":", "__", StringComparison.Ordinal))
            ?? workerEnvironment.GetValueOrDefault(name)
            ?? Environment.GetEnvironmentVariable(name.Replace(":", "__", StringComparison.Ordinal));

        var audience = Setting("Authentication:Schemes:Bearer:ValidAudiences:0") ?? DefaultAudience;
        if (Setting($"{SigningKeysSetting}:0:Value") is { Length: > 0 } value)
        {
            return new UserJwtsKey(Setting($"{SigningKeysSetting}:0:Issuer") ?? DefaultIssuer, audience, FromBase64(value, "the app setting"));
        }

        if (string.IsNullOrEmpty(userSecretsId))
        {
            logger.SignInDisabled("no signing key in the app settings and no --user-secrets-id");
            return null;
        }

        var path = PathHelper.GetSecretsPathFromSecretsId(userSecretsId);
        return new UserJwtsKey(DefaultIssuer, audience, FromBase64(ReadOrCreate(path), path));
    }

    private static byte[] FromBase64(string value, string source)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"The {DefaultIssuer} signing key in {source} is not base64: {e.Message}", e);
        }
    }

    // secrets.json keeps the keys under one flat name, as dotnet user-jwts writes them; other secrets stay as they are.
    private static string ReadOrCreate(string path)
    {
        JsonObject secrets;
        try
        {
            secrets = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? [] : [];
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} is not valid JSON: {e.Message}", e);
        }

        var keys = secrets[SigningKeysSetting] as JsonArray;
        var existing = keys?.OfType<JsonObject>().FirstOrDefault(key => key["Issuer"]?.GetValue<string>() == DefaultIssuer);
        if (existing?["Value"]?.GetValue<string>() is { Length: > 0 } value)
        {
            return value;
        }

        value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        if (keys is null)
        {
            keys = [];
            secrets[SigningKeysSetting] = keys;
        }

        keys.Add(new JsonObject
        {
            ["Id"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            ["Issuer"] = DefaultIssuer,
            ["Value"] = value,
            ["Length"] = 32,
        });
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, secrets.ToJsonString());
        return value;
    }
}

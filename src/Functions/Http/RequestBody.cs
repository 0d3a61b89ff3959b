using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace PartnerBase.Functions.Http;

/// <summary>
/// Reads a function's JSON body. What cannot be read throws <see cref="BadHttpRequestException"/>, which
/// <see cref="ProblemsMiddleware"/> answers: 415 for a body that is not JSON, 400 naming the field for malformed or
/// mistyped JSON, 413 when the body grows past the server's limit while being read.
/// </summary>
public static class RequestBody
{
    /// <summary>The body, which must be present.</summary>
    public static async Task<T> ReadAsync<T>(this HttpRequest request, CancellationToken cancellationToken) =>
        await request.ReadOptionalAsync<T>(cancellationToken)
        ?? throw new BadHttpRequestException("A JSON request body is required.", StatusCodes.Status400BadRequest);

    /// <summary>The body, or null when the request has none (no bytes, whatever its headers say).</summary>
    public static async Task<T?> ReadOptionalAsync<T>(this HttpRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        var first = await reader.ReadAsync(cancellationToken);
        reader.AdvanceTo(first.Buffer.Start);
        if (first.Buffer.IsEmpty && first.IsCompleted)
        {
            return default;
        }

        if (!request.HasJsonContentType())
        {
            throw new BadHttpRequestException("The request body must be application/json.", StatusCodes.Status415UnsupportedMediaType);
        }

        // The options the responses are written with: camelCase, snake_case enums, strict numbers, source-generated types.
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            return await JsonSerializer.DeserializeAsync(reader, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)), cancellationToken);
        }
        catch (JsonException exception)
        {
            throw new BadHttpRequestException("The request body is not valid JSON for this operation.", StatusCodes.Status400BadRequest, exception);
        }
    }
}

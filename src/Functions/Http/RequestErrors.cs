using System.Net.Mail;
using PartnerBase.Core;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Http;

/// <summary>Collects field errors of one request so that the client learns about all of them at once.</summary>
public sealed class RequestErrors
{
    public const int MaxMetadataKeys = 20;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 500;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    public Failure ToFailure() => Failure.Validation(_errors.ToDictionary(entry => entry.Key, entry => entry.Value.ToArray()));

    public string? Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "Required.");
            return null;
        }

        return Text(field, value, maxLength);
    }

    public string? Text(string field, string? value, int maxLength)
    {
        if (value is not null && value.Length > maxLength)
        {
            Add(field, $"Must be at most {maxLength} characters.");
        }

        return value;
    }

    public long? Amount(string field, long? value, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "Required.");
            }
        }
        else if (value is <= 0 or > Money.MaxPayoutAmount)
        {
            Add(field, $"Must be an integer number of minor units, greater than 0 and at most {Money.MaxPayoutAmount}.");
        }

        return value;
    }

    public Currency? Currency(string field, string? code, bool required) =>
        Parse<Currency>(field, code, required, Core.Currency.TryParse, "Must be an upper-case ISO 4217 currency code such as USD.");

    public Period? Period(string field, string? text, bool required) =>
        Parse<Period>(field, text, required, Core.Period.TryParse, "Must be a month YYYY-MM or a quarter YYYY-Qn.");

    public IReadOnlyDictionary<string, string>? Metadata(string field, Dictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        if (metadata.Count > MaxMetadataKeys)
        {
            Add(field, $"At most {MaxMetadataKeys} keys.");
        }

        foreach (var (key, value) in metadata)
        {
            if (key.Length is 0 or > MaxMetadataKeyLength)
            {
                Add(field, $"Keys must be 1 to {MaxMetadataKeyLength} characters.");
            }

            if (value is null || value.Length > MaxMetadataValueLength)
            {
                Add(field, $"Values must be strings of at most {MaxMetadataValueLength} characters.");
            }
        }

        return metadata;
    }

    public string? Email(string field, string? value, bool required)
    {
        var email = required ? Required(field, value, 254) : Text(field, value, 254);
        if (!string.IsNullOrEmpty(email) && !MailAddress.TryCreate(email, out _))
        {
            Add(field, "Must be an email address.");
        }

        return email;
    }

    private delegate bool TryParser<T>(string? text, out T value);

    private T? Parse<T>(string field, string? text, bool required, TryParser<T> tryParse, string message)
        where T : struct
    {
        if (text is null)
        {
            if (required)
            {
                Add(field, "Required.");
            }

            return null;
        }

        if (tryParse(text, out var value))
        {
            return value;
        }

        Add(field, message);
        return null;
    }

    public PageRequest? Page(string? limit, string? cursor)
    {
        var valid = true;
        var size = PageRequest.DefaultLimit;
        if (!string.IsNullOrEmpty(limit)
            && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size) || size is < 1 or > PageRequest.MaxLimit))
        {
            Add("limit", $"Must be a whole number from 1 to {PageRequest.MaxLimit}.");
            valid = false;
        }

        if (!Cursor.TryDecode(cursor, out var after))
        {
            Add("cursor", "Not a cursor returned by this API.");
            valid = false;
        }

        return valid ? new PageRequest(size, after) : null;
    }
}

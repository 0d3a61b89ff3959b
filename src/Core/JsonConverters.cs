using System.Text.Json;
using System.Text.Json.Serialization;

namespace PartnerBase.Core;

/// <summary>Currency as its ISO 4217 code, so stored documents and responses read "USD".</summary>
public sealed class CurrencyJsonConverter : JsonConverter<Currency>
{
    public override Currency Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Currency.TryParse(reader.GetString(), out var currency) ? currency : throw new JsonException("Expected an ISO 4217 currency code.");

    public override void Write(Utf8JsonWriter writer, Currency value, JsonSerializerOptions options) => writer.WriteStringValue(value.Code);
}

/// <summary>Period as <c>YYYY-MM</c> or <c>YYYY-Qn</c>.</summary>
public sealed class PeriodJsonConverter : JsonConverter<Period>
{
    public override Period Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Period.TryParse(reader.GetString(), out var period) ? period : throw new JsonException("Expected a period YYYY-MM or YYYY-Qn.");

    public override void Write(Utf8JsonWriter writer, Period value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

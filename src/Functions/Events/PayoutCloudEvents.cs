using System.Globalization;
using System.Net.Mime;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Payouts;

namespace PartnerBase.Functions.Events;

/// <summary>Payout events as CloudEvents 1.0 in structured JSON mode (CONTRACT §6), with the CloudEvents SDK.</summary>
public static class PayoutCloudEvents
{
    public const string TypePrefix = "com.partnerbase.";
    public const string ContentType = "application/cloudevents+json";

    public static CloudEventAttribute OrgId { get; } = CloudEventAttribute.CreateExtension("orgid", CloudEventAttributeType.String);

    public static CloudEventAttribute PartnerId { get; } = CloudEventAttribute.CreateExtension("partnerid", CloudEventAttributeType.String);

    /// <summary>The payout's version after the change: events of one payout are numbered 1, 2, 3, …</summary>
    public static CloudEventAttribute Sequence { get; } = CloudEventAttribute.CreateExtension("sequence", CloudEventAttributeType.Integer);

    private static readonly CloudEventAttribute[] Extensions = [OrgId, PartnerId, Sequence];

    private static readonly JsonEventFormatter Formatter = new(CreateJson(), default);

    public static string TypeOf(PayoutEvent change) => TypePrefix + change.Type;

    public static CloudEvent ToCloudEvent(PayoutEvent change)
    {
        var cloudEvent = new CloudEvent(CloudEventsSpecVersion.V1_0, Extensions)
        {
            Id = change.Id,
            Source = new Uri($"/organizations/{Uri.EscapeDataString(change.OrgId)}/payouts", UriKind.Relative),
            Type = TypeOf(change),
            Subject = change.PayoutId,
            Time = change.At,
            DataContentType = MediaTypeNames.Application.Json,
            Data = change.ToEventData(),
        };
        cloudEvent[OrgId] = change.OrgId;
        cloudEvent[PartnerId] = change.Payout.PartnerId;
        cloudEvent[Sequence] = checked((int)change.Sequence);
        return cloudEvent;
    }

    public static ReadOnlyMemory<byte> Encode(CloudEvent cloudEvent) => Formatter.EncodeStructuredModeMessage(cloudEvent, out _);

    /// <summary>Reads a structured-mode CloudEvent; throws (ArgumentException, JsonException) if it is not one.</summary>
    public static DeliveredEvent Decode(ReadOnlyMemory<byte> body)
    {
        var cloudEvent = Formatter.DecodeStructuredModeMessage(body, new ContentType(ContentType), Extensions);
        var orgId = cloudEvent[OrgId] as string;
        if (cloudEvent.Id is null || cloudEvent.Type is null || cloudEvent.Subject is null || orgId is null || cloudEvent.Data is not JsonElement data)
        {
            throw new ArgumentException("Not a payout event: id, type, subject, orgid and data are required.", nameof(body));
        }

        return new DeliveredEvent(
            cloudEvent.Id,
            cloudEvent.Type,
            orgId,
            cloudEvent.Subject,
            cloudEvent[PartnerId] as string,
            Convert.ToInt64(cloudEvent[Sequence] ?? 0, CultureInfo.InvariantCulture),
            data)
        {
            Body = System.Text.Encoding.UTF8.GetString(body.Span),
        };
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiServices.ConfigureJson(options);
        return options;
    }
}

/// <summary>A payout event as a consumer receives it.</summary>
public sealed record DeliveredEvent(string Id, string Type, string OrgId, string PayoutId, string? PartnerId, long Sequence, JsonElement Data)
{
    /// <summary>The structured-mode CloudEvent as it travelled (what webhooks send on).</summary>
    public string? Body { get; init; }
}

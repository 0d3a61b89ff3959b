namespace PartnerBase.Core;

public enum ActorKind
{
    User,
    System,
}

/// <summary>Who made a change: a user (the token's <c>sub</c>) or the system itself.</summary>
public sealed record Actor(ActorKind Kind, string Id)
{
    public const string SystemId = "system";

    public static Actor System { get; } = new(ActorKind.System, SystemId);

    public static Actor User(string id) => new(ActorKind.User, id);
}

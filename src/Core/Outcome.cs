namespace PartnerBase.Core;

/// <summary>Why a use case did not do what was asked. These are expected outcomes, not exceptions.</summary>
public enum FailureCode
{
    ValidationFailed,
    Forbidden,
    SeparationOfDuties,
    NotFound,
    InvalidTransition,
    Conflict,
    PreconditionFailed,
    PayeeNotPayable,
    DuplicateApproval,
}

public sealed record Failure(FailureCode Code, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public static Failure NotFound(string what, string id) => new(FailureCode.NotFound, $"{what} '{id}' was not found.");

    public static Failure Conflict(string detail) => new(FailureCode.Conflict, detail);

    public static Failure Validation(string field, string message) =>
        new(FailureCode.ValidationFailed, message, new Dictionary<string, string[]> { [field] = [message] });

    public static Failure Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new(FailureCode.ValidationFailed, "One or more fields are invalid.", errors);
}

/// <summary>A value or the failure that prevented it.</summary>
public readonly struct Outcome<T>
{
    private readonly T? _value;

    private Outcome(T? value, Failure? failure)
    {
        _value = value;
        Failure = failure;
    }

    public Failure? Failure { get; }

    public bool Succeeded => Failure is null;

    public T Value => Failure is null ? _value! : throw new InvalidOperationException($"No value: {Failure.Code}: {Failure.Detail}");

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Failure failure) => new(default, failure);
}

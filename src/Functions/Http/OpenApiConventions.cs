namespace PartnerBase.Functions.Http;

public static class OpenApiConventions
{
    /// <summary>The problems every authenticated route can answer.</summary>
    public static TBuilder WithStandardProblems<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
}

namespace Orchestrator.Actors.Domain.Tests;

public sealed class DomainPuritySpecs
{
    [Fact]
    public void Domain_assembly_references_no_akka_assembly()
    {
        var domain = typeof(OrchestratorDomain).Assembly;

        var references = domain.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();

        Assert.Contains("Orchestrator.Actors.Protocol", references); // the check looks at the right assembly
        Assert.DoesNotContain(references, name => name.StartsWith("Akka", StringComparison.OrdinalIgnoreCase));
    }
}

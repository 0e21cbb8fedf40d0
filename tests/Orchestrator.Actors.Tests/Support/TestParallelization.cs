// The specs of this assembly run one class at a time. Several of them load the machine on purpose
// (200 concurrent agents, 25 orchestrator processes at once, a SIGKILLed server); run side by side
// on two cores they starved each other's ActorSystems for longer than an expectation waits, and
// failed for that reason alone.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

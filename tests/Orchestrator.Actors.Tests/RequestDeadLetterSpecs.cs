using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.StateManager;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Dead-lettered requests are routed once, to the gateway above the recipient: before, every gateway
/// subscribed to every dead letter of the system, so each one cost a delivery per namespace.
/// </summary>
public sealed class RequestDeadLetterSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task A_dead_lettered_request_goes_to_the_registered_gateway_above_its_recipient_and_to_no_other()
    {
        var (a, heardByA) = Gateway("gateway-a");
        var (b, heardByB) = Gateway("gateway-b");
        RequestDeadLetters.Get(Sys).Register(a);
        RequestDeadLetters.Get(Sys).Register(b);
        var store = await a.Ask<IActorRef>(MakeChild.Instance, RemainingOrDefault);
        Watch(store);
        Sys.Stop(store);
        ExpectTerminated(store);

        store.Tell(new GetStats(), TestActor);
        // Not a request: dead too, but no gateway's business.
        store.Tell("not a request", TestActor);

        var dead = heardByA.ExpectMsg<DeadLetter>();
        Assert.IsType<GetStats>(dead.Message);
        Assert.Equal(store, dead.Recipient);
        heardByA.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        heardByB.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_gateway_that_stopped_hears_nothing_and_its_successor_at_the_same_path_does()
    {
        var (first, heardByFirst) = Gateway("gateway-again");
        RequestDeadLetters.Get(Sys).Register(first);
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        var (second, heardBySecond) = Gateway("gateway-again");
        RequestDeadLetters.Get(Sys).Register(second);
        var store = await second.Ask<IActorRef>(MakeChild.Instance, RemainingOrDefault);
        Watch(store);
        Sys.Stop(store);
        ExpectTerminated(store);

        store.Tell(new GetStats(), TestActor);

        Assert.Equal(store, heardBySecond.ExpectMsg<DeadLetter>().Recipient);
        heardByFirst.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private (IActorRef Gateway, TestProbe Heard) Gateway(string name)
    {
        var heard = CreateTestProbe();
        return (Sys.ActorOf(Props.Create(() => new StandInGateway(heard.Ref)), name), heard);
    }

    private sealed record MakeChild
    {
        public static readonly MakeChild Instance = new();
    }

    // A gateway's shape: a child that requests go to, and the dead letters it is handed passed on.
    private sealed class StandInGateway : ReceiveActor
    {
        public StandInGateway(IActorRef heard)
        {
            Receive<MakeChild>(_ => Sender.Tell(Context.ActorOf(Props.Create(() => new Quiet()), "store")));
            Receive<DeadLetter>(dl => heard.Tell(dl));
        }
    }

    private sealed class Quiet : ReceiveActor
    {
        public Quiet() => ReceiveAny(_ => { });
    }
}

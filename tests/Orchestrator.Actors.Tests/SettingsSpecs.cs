using Akka.Configuration;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>hocon.conf is read once; a bad value is refused with its key and value named.</summary>
public sealed class SettingsSpecs
{
    [Fact]
    public void The_shipped_hocon_conf_gives_the_documented_defaults()
    {
        var settings = OrchestratorSettings.FromConfig(OrchestratorConfig.Load());

        Assert.Equal(Path.GetFullPath("./data/orchestrator.db"), settings.DatabasePath);
        Assert.Equal("state-manager-default", settings.PersistenceId);
        Assert.Equal("WAL", settings.SqliteJournalMode);
        Assert.Equal("FULL", settings.SqliteSynchronous);
        Assert.Equal(1000, settings.SnapshotEvery);
        Assert.Equal(2, settings.SnapshotsKept);
        Assert.False(settings.DeleteEventsOnSnapshot);
        Assert.Equal(1024 * 1024, settings.Limits.MaxDocumentBytes);
        Assert.True(settings.MinBackoff < settings.MaxBackoff);
    }

    [Fact]
    public void The_sqlite_connection_string_points_at_the_data_directory()
    {
        var dir = TestConfigs.NewDataDirectory();
        var config = TestConfigs.Sqlite(dir);

        var expected = Path.Combine(dir, "orchestrator.db");
        Assert.Contains(expected, config.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Contains(expected, config.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        Assert.Equal("SQLite.MS", config.GetString("akka.persistence.journal.sql.provider-name"));
    }

    [Theory]
    [InlineData("orchestrator.snapshots.every = 0", "orchestrator.snapshots.every = '0'")]
    [InlineData("orchestrator.snapshots.every = lots", "orchestrator.snapshots.every = 'lots'")]
    [InlineData("orchestrator.max-batch-events = -5", "orchestrator.max-batch-events = '-5'")]
    [InlineData("orchestrator.sqlite.journal-mode = FAST", "orchestrator.sqlite.journal-mode = 'FAST'")]
    [InlineData("orchestrator.sqlite.synchronous = NORMAL", "orchestrator.sqlite.synchronous = 'NORMAL'")]
    [InlineData("orchestrator.supervision.min-backoff = soon", "orchestrator.supervision.min-backoff = 'soon'")]
    [InlineData("orchestrator.supervision.random-factor = -1", "orchestrator.supervision.random-factor = '-1'")]
    [InlineData("orchestrator.limits.max-document-size = huge", "orchestrator.limits.max-document-size = 'huge'")]
    [InlineData("orchestrator.snapshots.delete-events = maybe", "orchestrator.snapshots.delete-events = 'maybe'")]
    [InlineData("orchestrator.namespace = \"a b\"", "orchestrator.namespace")]
    [InlineData("orchestrator.data-dir = \"\"", "orchestrator.data-dir")]
    public void A_bad_setting_is_refused_naming_its_key_and_value(string setting, string expectedInMessage)
    {
        var error = SettingsErrorFor(setting);

        Assert.Contains(expectedInMessage, error.Message);
    }

    [Fact]
    public void A_max_backoff_below_the_min_backoff_is_refused()
    {
        var error = SettingsErrorFor("orchestrator.supervision { min-backoff = 10s, max-backoff = 1s }");

        Assert.Contains("max-backoff", error.Message);
    }

    [Fact]
    public void Deleting_events_with_a_single_kept_snapshot_is_refused()
    {
        var error = SettingsErrorFor("orchestrator.snapshots { keep = 1, delete-events = on }");

        Assert.Contains("orchestrator.snapshots.keep", error.Message);
    }

    [Fact]
    public void A_missing_overlay_file_is_named_in_the_error()
    {
        var error = Assert.Throws<ConfigurationException>(() => OrchestratorConfig.Load("/no/such/overlay.conf"));

        Assert.Contains("/no/such/overlay.conf", error.Message);
    }

    [Theory]
    [InlineData("orchestrator.snapshots.every = [1, 2\n}}} = ]", "line 2")]
    [InlineData("orchestrator { snapshots = { every = [ }", "line 1")]
    [InlineData("orchestrator {\n  snapshots { every = 5 }\n", "never closed")]
    [InlineData("orchestrator.data-dir = \"unterminated\n", "never closed")]
    public void An_overlay_with_unbalanced_brackets_or_quotes_is_refused_naming_file_and_line(string text, string expected)
    {
        // Akka's HOCON parser loops forever on some of these: they must be refused before it sees them.
        var path = Path.Combine(TestConfigs.NewDataDirectory(), "broken.conf");
        File.WriteAllText(path, text);

        var error = Assert.Throws<ConfigurationException>(() => OrchestratorConfig.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Brackets_and_hashes_inside_strings_and_comments_do_not_count()
    {
        var path = Path.Combine(TestConfigs.NewDataDirectory(), "fine.conf");
        File.WriteAllText(path, "# a comment with { and [\n// another ]\norchestrator.data-dir = \"/tmp/{odd}[dir]#1\"\n" +
                                "orchestrator.namespace = \"\"\"team-a\"\"\"\n");

        var settings = OrchestratorSettings.FromConfig(OrchestratorConfig.Load(path));

        Assert.Equal("/tmp/{odd}[dir]#1", settings.DataDirectory);
        Assert.Equal("team-a", settings.Namespace);
    }

    /// <summary>The error that reading the settings of hocon.conf with <paramref name="overlay"/> over it raises.</summary>
    private static ConfigurationException SettingsErrorFor(string overlay)
    {
        var config = ConfigurationFactory.ParseString(overlay).WithFallback(OrchestratorConfig.Load());
        return Assert.Throws<ConfigurationException>(() => OrchestratorSettings.FromConfig(config));
    }
}

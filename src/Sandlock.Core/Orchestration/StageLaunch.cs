using Sandlock.Lifecycle;

namespace Sandlock.Orchestration;

/// <summary>A stage and the pipe ends it is started with.</summary>
internal sealed record StageLaunch(Stage Stage, ChildStreams Streams);

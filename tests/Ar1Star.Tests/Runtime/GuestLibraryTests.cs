using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Ar1Star.Learner;
using Ar1Star.Reporting.Outputs;
using Ar1Star.Runtime;

namespace Ar1Star.Tests.Runtime;

/// <summary>
/// The packaged libraries behave as guests: loading them runs no code of theirs, so the heap
/// and OpenMP settings of <see cref="ProcessTuning"/> happen only when a program asks for them.
/// </summary>
public class GuestLibraryTests
{
    [Theory]
    [InlineData(typeof(ContinualLearner))]
    [InlineData(typeof(ResultsCsv))]
    public void LoadingTheLibraryRunsNoModuleInitializer(Type typeInLibrary)
    {
        var assembly = typeInLibrary.Assembly;
        using var pe = new PEReader(File.OpenRead(assembly.Location));
        var metadata = pe.GetMetadataReader();
        // Row 1 of TypeDef is <Module>; a module initializer is its static constructor.
        var module = metadata.GetTypeDefinition(MetadataTokens.TypeDefinitionHandle(1));
        Assert.Equal("<Module>", metadata.GetString(module.Name));
        var names = module.GetMethods().Select(m => metadata.GetString(metadata.GetMethodDefinition(m).Name)).ToList();
        Assert.DoesNotContain(".cctor", names);
    }

    [Fact]
    public void TheTestProcessIsTunedLikeTheCommandThroughTheExplicitCall()
    {
        // OpenMpSetup calls ProcessTuning.Apply first thing, as ar1's Program does.
        Assert.True(ProcessTuning.Applied);
        if (OperatingSystem.IsLinux()) Assert.NotNull(OpenMpWaitPolicy.Requested);
    }
}

using System.Globalization;
using SaeWorkbench.Corpus;
using static TorchSharp.torch;

namespace SaeWorkbench.Metrics;

/// <summary>One probe task kept for the probe loss, with its positives in the probes' training and held-out parts.</summary>
public sealed record ProbeTask(string Name, string Category, long TrainPositives, long HeldOutPositives, double BaseRate);

/// <summary>
/// The binary tasks of the probe loss (Gao et al. 2024, §4.2) on labelled tokens: one per corpus label with enough
/// positives and negatives in both the part that fits the probes and the held-out part that scores them, and the label
/// matrix and held-out mask that <see cref="ProbeLoss"/> reads.
/// </summary>
/// <param name="Tasks">The kept tasks, in label order.</param>
/// <param name="Skipped">The labels left out, each with its positives (training + held out).</param>
/// <param name="TrainTokens">Tokens that fit the probes.</param>
/// <param name="HeldOutTokens">Tokens that score them.</param>
/// <param name="Labels_TJ">uint8 [T, J]: 1 where token t has task j's label.</param>
/// <param name="HeldOut_T">bool [T]: the held-out tokens.</param>
public sealed record ProbeTaskSet(IReadOnlyList<ProbeTask> Tasks, IReadOnlyList<string> Skipped, long TrainTokens, long HeldOutTokens,
    Tensor Labels_TJ, Tensor HeldOut_T)
{
    /// <summary>The task names, in column order of <see cref="Labels_TJ"/>.</summary>
    public IReadOnlyList<string> Names => Tasks.Select(k => k.Name).ToList();

    /// <summary>
    /// The tasks of harvested tokens: token i is position <paramref name="positionOf"/>[i] of window
    /// <paramref name="windowOf"/>[i]; every <paramref name="heldOutEvery"/>-th window is held out. A label is kept when it
    /// has at least <paramref name="minPositives"/> positives and as many negatives in both parts; none kept is an error
    /// that says what to raise or lower. The tensors belong to the caller's dispose scope.
    /// </summary>
    public static ProbeTaskSet FromWindows(IReadOnlyList<TokenWindow> windows, long[] windowOf, int[] positionOf, IReadOnlyList<CorpusLabel> labels,
        int heldOutEvery, int minPositives)
    {
        var t = windowOf.Length;
        var masks = new ulong[t];
        var heldOut = new bool[t];
        for (var i = 0; i < t; i++)
        {
            masks[i] = windows[(int)windowOf[i]].Labels[positionOf[i]];
            heldOut[i] = windowOf[i] % heldOutEvery == 0;
        }
        var nTrain = heldOut.LongCount(h => !h);
        var nHeld = t - nTrain;
        var tasks = new List<ProbeTask>();
        var skipped = new List<string>();
        foreach (var l in labels)
        {
            long posTrain = 0, posHeld = 0;
            for (var i = 0; i < t; i++)
                if (l.In(masks[i]))
                {
                    if (heldOut[i]) posHeld++;
                    else posTrain++;
                }
            if (posTrain < minPositives || posHeld < minPositives || nTrain - posTrain < minPositives || nHeld - posHeld < minPositives)
                skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{l.Name} ({posTrain} + {posHeld} positives)"));
            else
                tasks.Add(new ProbeTask(l.Name, l.Category.ToString(), posTrain, posHeld, (double)(posTrain + posHeld) / t));
        }
        if (tasks.Count == 0)
            throw new InvalidOperationException($"no corpus label has {minPositives} positives and negatives in both parts of the {t} test tokens: raise TestWindows or lower ProbeMinPositives");
        var taskLabels = tasks.Select(k => CorpusLabel.ByName(k.Name)).ToArray();
        var flat = new byte[t * taskLabels.Length];
        for (var i = 0; i < t; i++)
            for (var j = 0; j < taskLabels.Length; j++)
                flat[i * taskLabels.Length + j] = taskLabels[j].In(masks[i]) ? (byte)1 : (byte)0;
        return new ProbeTaskSet(tasks, skipped, nTrain, nHeld, tensor(flat, [t, taskLabels.Length]), tensor(heldOut));
    }
}

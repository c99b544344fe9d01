using SaeWorkbench.Metrics.N2g;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Metrics.Bench;

/// <summary>
/// N2G at scale (issue 5 item 4): explain thousands of synthetic latents with known patterns on the CPU, score them on
/// held-out tokens, and report latents per second, the activation-function calls, sequences and tokens per latent (the
/// real cost with a language model), the same for a subset explained one latent at a time (what batching across latents
/// saves), and how often the explanation is exactly the planted pattern.
/// </summary>
/// <remarks>
/// FLOPs first (design brief): with GPT-2 small run up to block 8 each evaluated token costs about 2 x 8 x 7.08M = 113 MFLOP
/// (attention over at most 64 positions aside), so the explain phase costs (tokens per latent) x 113 MFLOP per latent, and
/// the harvest (one pass over the training tokens, shared by all latents) N x T x 113 MFLOP in all.
/// </remarks>
internal static class N2gBenchmark
{
    private const double Gpt2Block8FlopsPerToken = 2.0 * 8 * 7.08e6;

    public static void Run(string[] args)
    {
        int Arg(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        var quick = args.Contains("--quick");
        var numLatents = Arg("--latents", quick ? 256 : 4096);
        var nTrain = Arg("--train", quick ? 512 : 2048);
        var nHeld = Arg("--heldout", quick ? 128 : 512);
        var ctx = Arg("--ctx", 64);
        var vocab = Arg("--vocab", 1024);
        var threads = Arg("--threads", 0);
        if (threads > 0) set_num_threads(threads);

        var f = new SyntheticPatternLatents(numLatents, vocab, seed: 1);
        var train = SyntheticPatternLatents.ZipfTokens(nTrain, ctx, vocab, seed: 2).DetachFromDisposeScope();
        var heldOut = SyntheticPatternLatents.ZipfTokens(nHeld, ctx, vocab, seed: 3).DetachFromDisposeScope();
        var config = new N2gConfig { PadTokenId = vocab };    // a token outside the data
        var ids = Enumerable.Range(0, numLatents).Select(i => (long)i).ToArray();
        Console.WriteLine($"N2G, {numLatents} synthetic pattern latents (unigram, bigram, skip-gram, anchored), vocab {vocab} (Zipf), context {ctx}");
        Console.WriteLine($"training {nTrain} x {ctx} tokens, held-out {nHeld} x {ctx}; {config.TopExamples} top + {config.RandomExamples} random examples per latent; "
            + $"chunks of {config.LatentsPerChunk} latents, calls <= {config.MaxSequencesPerCall} sequences and <= {config.MaxActivationsPerCall} activations; "
            + $"{get_num_threads()} intra-op threads, {Environment.ProcessorCount} cores");
        Console.WriteLine();

        // Warm-up (JIT, allocator).
        new N2gExplainer(f, config).Explain(train.narrow(0, 0, Math.Min(64, nTrain)), ids.Take(8).ToArray());

        var fn = f.Seconds;
        double FnDelta() { var d = f.Seconds - fn; fn = f.Seconds; return d; }
        var explainer = new N2gExplainer(f, config);
        var clock = Stopwatch.StartNew();
        var set = N2gExampleSet.Select(f, train, ids, config);
        var harvestSeconds = clock.Elapsed.TotalSeconds;
        var fnHarvest = FnDelta();
        var result = explainer.Explain(set, train);
        var fnExplain = FnDelta();
        var scores = new N2gScoring(f, config).Score(result.Explanations, heldOut);
        var fnScore = FnDelta();
        clock.Restart();
        using (NewDisposeScope()) new N2gScoring(f, config).FitExplanationScale(result.Explanations, train);
        var scaleSeconds = clock.Elapsed.TotalSeconds;
        var fnScale = FnDelta();
        clock.Restart();
        using (NewDisposeScope()) N2gSimulation.Predict(result.Explanations, heldOut);
        var simSeconds = clock.Elapsed.TotalSeconds;

        // The same explain phase one latent at a time (no call shared across latents), on a subset.
        var subset = Math.Min(64, numLatents);
        var alone = new N2gCallStats(0, 0, 0, 0);
        clock.Restart();
        for (var j = 0; j < subset; j++)
        {
            var one = new N2gExampleSet([set.LatentIds[j]], [set.Examples[j]], [set.MaxActivation[j]], [set.Firings[j]], set.Tokens, set.Calls);
            alone += explainer.Explain(one, train).ExplainCalls;
        }
        var aloneSeconds = clock.Elapsed.TotalSeconds;
        var fnAlone = FnDelta();

        Console.WriteLine($"{"phase",-34} {"time s",8} {"in fn s",8} {"calls",7} {"sequences",10} {"tokens",10} | per latent: {"calls",6} {"seqs",6} {"tokens",7} {"ms",6}");
        void Row(string name, double seconds, double fnSeconds, N2gCallStats? c, int latents) =>
            Console.WriteLine(c is null
                ? $"{name,-34} {seconds,8:F2} {fnSeconds,8:F2} {"-",7} {"-",10} {"-",10} |             {"-",6} {"-",6} {"-",7} {1e3 * seconds / latents,6:F2}"
                : $"{name,-34} {seconds,8:F2} {fnSeconds,8:F2} {c.Calls,7} {c.Sequences,10} {c.Tokens,10} |             "
                + $"{(double)c.Calls / latents,6:F2} {(double)c.Sequences / latents,6:F1} {(double)c.Tokens / latents,7:F1} {1e3 * seconds / latents,6:F2}");
        Row("harvest (one pass, all latents)", harvestSeconds, fnHarvest, set.Calls, numLatents);
        Row("explain, batched across latents", result.ExplainTime.TotalSeconds, fnExplain, result.ExplainCalls, numLatents);
        Row($"explain, one latent at a time ({subset})", aloneSeconds, fnAlone, alone, subset);
        Row("score on held-out tokens", scores.Time.TotalSeconds, fnScore, scores.Calls, numLatents);
        Row("explanation scale (training pass)", scaleSeconds, fnScale, null, numLatents);
        Console.WriteLine($"(\"in fn\": time inside the synthetic activation function; the rest is N2G's own work)");
        Console.WriteLine();
        var total = harvestSeconds + result.ExplainTime.TotalSeconds;
        Console.WriteLine($"latents/s: {numLatents / total:F0} (harvest + explain), {numLatents / result.ExplainTime.TotalSeconds:F0} (explain alone), "
            + $"{numLatents / scores.Time.TotalSeconds:F0} (scoring)");
        Console.WriteLine($"dense simulation [B, T, L] of the held-out tokens: {simSeconds:F2} s, {(double)numLatents * nHeld * ctx / simSeconds / 1e6:F0} M latent-tokens/s");
        Console.WriteLine($"deduplication: {result.ExplainCalls.Requests} sequences requested, {result.ExplainCalls.Sequences} evaluated "
            + $"({(double)result.ExplainCalls.Requests / result.ExplainCalls.Sequences:F2}x); batching across latents: "
            + $"{(double)alone.Calls / subset / ((double)result.ExplainCalls.Calls / numLatents):F0}x fewer calls and "
            + $"{(double)alone.Tokens / subset / ((double)result.ExplainCalls.Tokens / numLatents):F2}x fewer tokens per latent than one at a time");
        Console.WriteLine($"with GPT-2 small up to block 8 (~{Gpt2Block8FlopsPerToken / 1e6:F0} MFLOP/token): explain {result.TokensPerLatent * Gpt2Block8FlopsPerToken / 1e9:F2} GFLOP per latent, "
            + $"harvest {result.HarvestCalls.Tokens * Gpt2Block8FlopsPerToken / 1e12:F2} TFLOP shared by all latents");
        Console.WriteLine();

        Console.WriteLine($"{"kind",-9} {"latents",7} {"exact",6} {"mean precision",15} {"mean recall",12} {"no firing",10}");
        foreach (var kind in Enum.GetValues<PatternKind>())
        {
            var js = Enumerable.Range(0, numLatents).Where(j => f.Kinds[j] == kind).ToList();
            var exact = js.Count(j =>
            {
                var leaves = result.Explanations[j].Trie.Leaves().ToList();
                var (pattern, anchored) = f.Truth(j);
                return leaves.Count == 1 && leaves[0].Pattern.SequenceEqual(pattern) && leaves[0].StartAnchored == anchored;
            });
            var p = js.Select(j => scores.Latents[j].Precision).Where(x => !double.IsNaN(x)).DefaultIfEmpty(double.NaN).Average();
            var r = js.Select(j => scores.Latents[j].Recall).Where(x => !double.IsNaN(x)).DefaultIfEmpty(double.NaN).Average();
            var silent = js.Count(j => result.Explanations[j].Patterns.Count == 0);
            Console.WriteLine($"{kind,-9} {js.Count,7} {exact,6} {p,15:F4} {r,12:F4} {silent,10}");
        }
        Console.WriteLine();
        var show = Enumerable.Range(0, Math.Min(4, numLatents)).ToList();
        foreach (var j in show)
            Console.Write(N2gRendering.ToText(result.Explanations[j], t => $"t{t}", scores.Latents[j], maxPatterns: 3));
    }
}

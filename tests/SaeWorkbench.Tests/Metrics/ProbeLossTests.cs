using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Known answers for the probe loss (TopK paper §4.2), and every fit checked against torch's LBFGS.</summary>
public class ProbeLossTests(ITestOutputHelper output)
{
    /// <summary>Sparse distractor latents [T, N]: each fires on about 5% of tokens with a value in U(0, 2).</summary>
    private static Tensor Distractors(long t, long n, Generator gen)
    {
        var fires = rand(new[] { t, n }, float64, generator: gen).lt(0.05);
        return rand(new[] { t, n }, float64, generator: gen).mul(2).where(fires, 0.0);
    }

    [Fact]
    public void ALatentEqualToTheLabelIsFoundAmongDistractorsWithCrossEntropyNearZero()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(11);
        var latents = Distractors(4000, 64, gen);
        var label = rand(new[] { 4000L }, float64, generator: gen).lt(0.3);
        latents[.., 17] = label.to(float64);                                // latent 17 is the label itself
        var result = ProbeLoss.Evaluate(latents, label.unsqueeze(1), ["is_label"]);
        var task = result.Tasks[0];
        output.WriteLine($"winner {task.WinningLatent}, CE {task.CrossEntropy:E3} (train {task.TrainCrossEntropy:E3}), label entropy {task.LabelEntropy:F4}, w {task.Weight:F2}, b {task.Bias:F2}");
        Assert.Equal(17, task.WinningLatent);
        Assert.True(task.Converged);
        Assert.True(task.CrossEntropy < 0.01, $"separable latent: CE {task.CrossEntropy} should be near 0");
        Assert.InRange(task.LabelEntropy, 0.55, 0.65);                      // H(0.3) = 0.611
        Assert.Equal(0, result.UnconvergedFits);
    }

    [Fact]
    public void AConstantLatentScoresTheLabelEntropy()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(12);
        var labels = rand(new[] { 3000L, 2 }, float64, generator: gen).lt(tensor(new[] { 0.2, 0.5 })).to(ScalarType.Bool);
        var constant = full(new[] { 3000L, 1 }, 1.5, float64);
        var result = ProbeLoss.Evaluate(constant, labels, ["rare", "even"]);
        foreach (var task in result.Tasks)
        {
            // The training optimum of a constant is its positive rate p: train CE = H(p), held-out CE = the baseline.
            var p = task.TrainPositives / (double)result.TrainTokens;
            var h = -(p * Math.Log(p) + (1 - p) * Math.Log(1 - p));
            output.WriteLine($"{task.Task}: CE {task.CrossEntropy:F10}, label entropy {task.LabelEntropy:F10}, train CE {task.TrainCrossEntropy:F10}, H(p) {h:F10}");
            Assert.Equal(task.LabelEntropy, task.CrossEntropy, 1e-9);
            Assert.Equal(h, task.TrainCrossEntropy, 1e-9);
        }
        Assert.Equal(result.MeanLabelEntropy, result.MeanCrossEntropy, 1e-9);
    }

    [Fact]
    public void TheInformativeLatentWinsOverDistractorsForEachTask()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(13);
        var latents = Distractors(6000, 200, gen);
        // Task a: noisy logistic in latent 40; task b: positives where latent 123 fires strongly, plus 5% label noise.
        var pa = (latents[.., 40] * 3 - 1.5).sigmoid();
        var ya = rand(new[] { 6000L }, float64, generator: gen).lt(pa);
        var flip = rand(new[] { 6000L }, float64, generator: gen).lt(0.05);
        var yb = latents[.., 123].gt(0.5).logical_xor(flip);
        var result = ProbeLoss.Evaluate(latents, stack(new[] { ya, yb }, 1), ["a", "b"]);
        foreach (var t in result.Tasks)
            output.WriteLine($"{t.Task}: winner {t.WinningLatent}, CE {t.CrossEntropy:F4} vs label entropy {t.LabelEntropy:F4}");
        Assert.Equal(40, result.Tasks[0].WinningLatent);
        Assert.Equal(123, result.Tasks[1].WinningLatent);
        Assert.All(result.Tasks, t => Assert.True(t.CrossEntropy < t.LabelEntropy - 0.03));
    }

    [Fact]
    public void ChunkingAndRetiringConvergedLatentsDoNotChangeTheResult()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(14);
        var latents = Distractors(3000, 80, gen);
        var labels = stack(new[] { latents[.., 5].gt(1.0), rand(new[] { 3000L }, float64, generator: gen).lt(0.1), latents[.., 70].gt(0.2) }, 1);
        string[] names = ["x", "y", "z"];
        var whole = ProbeLoss.Evaluate(latents, labels, names);
        var chunked = ProbeLoss.Evaluate(latents, labels, names, new ProbeLossConfig { MaxEntriesPerChunk = 100 });   // one latent per chunk
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(whole.Tasks[i].WinningLatent, chunked.Tasks[i].WinningLatent);
            Assert.Equal(whole.Tasks[i].CrossEntropy, chunked.Tasks[i].CrossEntropy, 1e-10);
            Assert.Equal(whole.Tasks[i].Weight, chunked.Tasks[i].Weight, 1e-6);
        }
    }

    [Fact]
    public void EveryFitAgreesWithTorchLbfgsOnDenseData()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(15);
        const long t = 2000, n = 12;
        var latents = Distractors(t, n, gen);
        latents[.., 3] = rand(new[] { t }, float64, generator: gen);              // a dense latent
        latents[.., 7] = zeros(new[] { t }, float64);                              // a dead latent
        var y0 = rand(new[] { t }, float64, generator: gen).lt((latents[.., 3] * 4 - 3).sigmoid());
        var y1 = latents[.., 9].gt(0).logical_or(rand(new[] { t }, float64, generator: gen).lt(0.02));
        var y2 = rand(new[] { t }, float64, generator: gen).lt(0.4);
        var labels = stack(new[] { y0, y1, y2 }, 1);
        var heldOut = rand(new[] { t }, float64, generator: gen).lt(0.25);
        var config = new ProbeLossConfig { L2 = 1e-3 };

        var dir = Directory.CreateTempSubdirectory("probe-ref-").FullName;
        try
        {
            var inFile = Path.Combine(dir, "in.safetensors");
            var outFile = Path.Combine(dir, "out.safetensors");
            SafeTensors.Save(new Dictionary<string, Tensor> { ["latents"] = latents, ["labels"] = labels.to(float64), ["held_out"] = heldOut.to(float64) }, inFile);
            Python.Run("probe_reference.py", inFile, outFile, config.L2.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            var reference = SafeTensors.Load(outFile);

            // Every (latent, task) fit: restrict the metric to one latent at a time and compare with LBFGS.
            for (long i = 0; i < n; i++)
            {
                var one = ProbeLoss.Evaluate(latents.narrow(1, i, 1).contiguous(), labels, ["0", "1", "2"], config, heldOut);
                for (var k = 0; k < 3; k++)
                {
                    var r = one.Tasks[k];
                    Assert.True(r.Converged);
                    Assert.Equal(reference["train_ce"][i, k].ToDouble(), r.TrainCrossEntropy, 1e-9);
                    Assert.Equal(reference["test_ce"][i, k].ToDouble(), r.CrossEntropy, 1e-7);
                    Assert.Equal(reference["w_raw"][i, k].ToDouble(), r.Weight, 1e-4);
                    Assert.Equal(reference["b"][i, k].ToDouble(), r.Bias, 1e-4);
                }
            }
            // The winners over all latents.
            var all = ProbeLoss.Evaluate(latents, labels, ["0", "1", "2"], config, heldOut);
            var winners = reference["train_ce"].argmin(0).ToArray<long>();
            for (var k = 0; k < 3; k++)
            {
                var r = all.Tasks[k];
                output.WriteLine($"task {k}: winner {r.WinningLatent} (LBFGS {winners[k]}), CE {r.CrossEntropy:F6}, label entropy {r.LabelEntropy:F6}");
                Assert.Equal(winners[k], r.WinningLatent);
                Assert.Equal(reference["label_entropy"][k].ToDouble(), r.LabelEntropy, 1e-12);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void AnSaesSparseCodeGivesTheSameProbesAsItsDenseLatents()
    {
        using var scope = NewDisposeScope();
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 48, K = 4, Init = new SaeInit { Seed = 3 } });
        using var gen = new Generator(16);
        var x = randn(new[] { 1500L, 16 }, generator: gen);
        Tensor dense;
        using (no_grad()) { sae.eval(); dense = sae.Encode(x); sae.train(); }
        var labels = stack(new[] { dense[.., 2].gt(0), x[.., 0].gt(0.5) }, 1);
        var fromSae = ProbeLoss.Evaluate(sae, x, labels, ["latent2", "x0"], batchSize: 256);
        var fromDense = ProbeLoss.Evaluate(dense, labels, ["latent2", "x0"]);
        Assert.Equal(2, fromSae.Tasks[0].WinningLatent);
        for (var k = 0; k < 2; k++)
        {
            Assert.Equal(fromDense.Tasks[k].WinningLatent, fromSae.Tasks[k].WinningLatent);
            Assert.Equal(fromDense.Tasks[k].CrossEntropy, fromSae.Tasks[k].CrossEntropy, 1e-6);
        }
        Assert.True(sae.training, "the SAE's training mode must be restored");
    }

    [Fact]
    public void BadInputsNameTheProblem()
    {
        using var scope = NewDisposeScope();
        var latents = rand(100, 3);
        var labels = zeros(new[] { 100L, 1 }, ScalarType.Bool);
        var e = Assert.Throws<ArgumentException>(() => ProbeLoss.Evaluate(latents, labels, ["never"]));
        Assert.Contains("'never'", e.Message);
        Assert.Throws<ArgumentException>(() => ProbeLoss.Evaluate(latents, labels, ["a", "b"]));
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => ProbeLoss.Evaluate(latents, labels, ["a"], new ProbeLossConfig { HeldOutFraction = 1.5 }));
        Assert.Contains("HeldOutFraction", bad.Message);
    }
}

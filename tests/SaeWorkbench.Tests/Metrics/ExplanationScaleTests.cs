using SaeWorkbench.Metrics;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>The least-squares scale of explanation reconstruction, E[s a] / E[s^2] (Gao et al. 2024, §4.4).</summary>
public sealed class ExplanationScaleTests
{
    [Fact]
    public void A_known_factor_is_recovered_exactly()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var s = rand([200, 3], generator: g) * (rand([200, 3], generator: g) > 0.7).to(float32);
        var a = s * tensor(new[] { 2.5f, 0.25f, 7f });
        var c = ExplanationScale.Fit(s, a).ToArray<float>();
        Assert.Equal(2.5f, c[0], 5);
        Assert.Equal(0.25f, c[1], 5);
        Assert.Equal(7f, c[2], 5);
    }

    [Fact]
    public void With_noise_it_is_the_closed_form_least_squares_scale_and_minimises_the_squared_error()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(9);
        var s = rand([500, 2], generator: g);
        var a = s * 3 + randn([500, 2], generator: g);
        var c = ExplanationScale.Fit(s, a).ToArray<float>();
        var (sv, av) = (s.ToArray<float>(), a.ToArray<float>());
        for (var l = 0; l < 2; l++)
        {
            double sa = 0, ss = 0;
            for (var i = 0; i < 500; i++) { sa += (double)sv[i * 2 + l] * av[i * 2 + l]; ss += (double)sv[i * 2 + l] * sv[i * 2 + l]; }
            Assert.Equal(sa / ss, c[l], 4);
            double Err(double k) => Enumerable.Range(0, 500).Sum(i => Math.Pow(k * sv[i * 2 + l] - av[i * 2 + l], 2));
            Assert.True(Err(c[l]) <= Err(c[l] * 1.01) && Err(c[l]) <= Err(c[l] * 0.99));
        }
    }

    [Fact]
    public void Streaming_batches_gives_the_one_batch_answer_and_a_silent_simulation_gets_zero()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(2);
        var s = rand([4, 16, 3], generator: g);
        s[.., .., 2].zero_();
        var a = randn([4, 16, 3], generator: g);
        using var fit = new ExplanationScale(3);
        fit.Add(s[..1], a[..1]);
        fit.Add(s[1..], a[1..]);
        Assert.Equal(64, fit.Tokens);
        var streamed = fit.Scale_L().ToArray<float>();
        var whole = ExplanationScale.Fit(s, a).ToArray<float>();
        Assert.Equal(whole[0], streamed[0], 5);
        Assert.Equal(whole[1], streamed[1], 5);
        Assert.Equal(0f, streamed[2]);
        Assert.Throws<ArgumentException>(() => fit.Add(s, a[.., .., ..2]));
    }
}

namespace SaeWorkbench.Bench;

/// <summary>Command-line options of the benchmark (see <see cref="Usage"/>).</summary>
internal sealed class BenchOptions
{
    public bool Quick { get; private set; }
    public string? JsonPath { get; private set; }
    public int Threads { get; private set; } = Environment.ProcessorCount;
    public string Python { get; private set; } = Environment.GetEnvironmentVariable("SAEWB_PYTHON") ?? "/usr/bin/python3";
    public HashSet<string> Only { get; private set; } = new(Workloads.All);
    public int? GemmReps { get; private set; }
    public int? MlpReps { get; private set; }
    public int? SmallReps { get; private set; }
    public int? MlpHidden { get; private set; }
    public int? MlpBatch { get; private set; }
    public bool Help { get; private set; }

    public const string Usage = """
        SaeWorkbench.Bench: the C# bridge vs Python torch on the same libtorch, interleaved.

          dotnet run -c Release --project bench/SaeWorkbench.Bench [-- options]

        options:
          --quick            small sizes and few repetitions (smoke test, seconds)
          --json PATH        also write the results as JSON to PATH
          --threads N        intra-op threads on both sides (default: the core count)
          --python PATH      interpreter with torch (default: $SAEWB_PYTHON or /usr/bin/python3)
          --only LIST        comma-separated subset of: gemm, mlp, small_op
          --gemm-reps N      timed repetitions per side (default 6; quick 4)
          --mlp-reps N       timed repetitions per side (default 6; quick 4)
          --small-reps N     timed repetitions per side, each 200,000 calls (default 16; quick 4 of 20,000)
          --mlp-hidden N     MLP hidden width instead of 32768 (quick 4096); the GEMM floor needs the same m*k*n
          --mlp-batch N      MLP batch instead of 4096 (quick 1024)
          -h, --help         this text
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt()
            {
                var name = args[i];
                var v = Next();
                return int.TryParse(v, out var n) && n >= 1 ? n : throw new ArgumentException($"{name} needs a positive integer, not '{v}'");
            }
            switch (args[i])
            {
                case "--quick": o.Quick = true; break;
                case "--json": o.JsonPath = Next(); break;
                case "--threads": o.Threads = NextInt(); break;
                case "--python": o.Python = Next(); break;
                case "--gemm-reps": o.GemmReps = NextInt(); break;
                case "--mlp-reps": o.MlpReps = NextInt(); break;
                case "--small-reps": o.SmallReps = NextInt(); break;
                case "--mlp-hidden": o.MlpHidden = NextInt(); break;
                case "--mlp-batch": o.MlpBatch = NextInt(); break;
                case "--only":
                    var names = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var unknown = names.Where(n => !Workloads.All.Contains(n)).ToList();
                    if (unknown.Count > 0 || names.Length == 0)
                        throw new ArgumentException($"--only: unknown workload(s) {string.Join(", ", unknown)}; use {string.Join(", ", Workloads.All)}");
                    o.Only = new HashSet<string>(names);
                    break;
                case "-h":
                case "--help": o.Help = true; break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (see --help)");
            }
        }
        return o;
    }
}

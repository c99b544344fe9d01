using System.Diagnostics;
using static TorchSharp.torch;
using SaeWorkbench.Engine;
using SaeWorkbench.IO;

namespace SaeWorkbench.Activations;

/// <summary>
/// Harvests a language model's activations at one hook point from a stream of token windows (TopK paper setup, Gao et al.
/// 2024, §2.1: GPT-2 small, residual stream after block 8, 64-token contexts), either into an on-disk
/// <see cref="ActivationStore"/> of safetensors shards or into memory.
/// </summary>
/// <remarks>
/// The model runs on batches of <see cref="HarvestConfig.BatchWindows"/> windows under <c>no_grad</c>; each batch's rows
/// (minus skipped positions and tokens) go, in stream order, into a shard buffer of <see cref="HarvestConfig.TokensPerShard"/>
/// rows. A full buffer is written as the next shard (atomically), then manifest.json is rewritten (atomically) to list it:
/// the manifest is the commit point. A resumed harvest restarts at the manifest's resume point (window and row within it),
/// re-running the model on the batch that contains it, so it writes byte for byte the shards an uninterrupted harvest
/// would. A shard file not listed in the manifest (a crash between the two writes) is overwritten. Cancelling loses only
/// the buffered rows (at most one shard's worth).
/// </remarks>
public static class ActivationHarvester
{
    /// <summary>Value of the "format" metadata entry of every shard.</summary>
    public const string ShardFormatName = "saewb-activation-shard";

    /// <summary>
    /// Harvests into the folder <paramref name="directory"/>, or resumes the harvest already there: a folder with a
    /// manifest.json continues from its resume point if the manifest records the same hook, model, dataset, d_model,
    /// context length, dtype, layout and skipping rules (otherwise it is refused, naming both values); a complete
    /// harvest is returned as it is. <paramref name="overwrite"/> deletes the manifest and shards first.
    /// Reports progress after every batch and shard; <paramref name="cancellationToken"/> stops between batches
    /// (<see cref="OperationCanceledException"/>), leaving the committed shards for a later resume.
    /// </summary>
    /// <returns>The store, opened.</returns>
    public static ActivationStore Harvest(string directory, HarvestConfig config, ITokenWindowSource windows, ActivationFunction activations,
        IProgress<HarvestProgress>? progress = null, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(activations);
        config.Validate();
        CheckContextLength(config, windows);

        var dir = Path.GetFullPath(directory);
        Directory.CreateDirectory(dir);
        var manifestPath = Path.Combine(dir, ActivationStoreManifest.FileName);
        if (overwrite)
        {
            File.Delete(manifestPath);
            foreach (var f in Directory.EnumerateFiles(dir, "shard-*.safetensors")) File.Delete(f);
        }
        // Temporary files of atomic writes that a killed process left behind.
        foreach (var f in Directory.EnumerateFiles(dir, "shard-*.safetensors.tmp-*").Concat(Directory.EnumerateFiles(dir, "manifest.json.tmp-*")))
            File.Delete(f);

        ActivationStoreManifest m;
        if (File.Exists(manifestPath))
        {
            m = ActivationStoreManifest.Load(manifestPath);
            var diffs = m.Differences(config);
            if (diffs.Count > 0)
                throw new ActivationStoreException(
                    $"cannot resume the harvest in '{dir}': {ActivationStoreManifest.FileName} records " +
                    string.Join("; ", diffs.Select(d => $"{d.Field} = {d.Recorded} but this harvest asks for {d.Requested}")) +
                    ". Harvest into another folder, or pass overwrite: true to discard the stored shards.", manifestPath);
            var started = m.WindowsConsumed + (m.NextRowInWindow > 0 ? 1 : 0);
            if (m.Complete)
            {
                if (m.WindowLimit != config.MaxWindows)
                    throw new ActivationStoreException(
                        $"the harvest in '{dir}' is complete with window_limit = {m.WindowLimit?.ToString() ?? "null (the whole stream)"} " +
                        $"({m.WindowsConsumed} windows); this harvest asks for MaxWindows = {config.MaxWindows?.ToString() ?? "null"}. " +
                        "Harvest into another folder, or pass overwrite: true to start over.", manifestPath);
                return ActivationStore.Open(dir);
            }
            if (config.MaxWindows is { } max && max < started)
                throw new ActivationStoreException(
                    $"cannot resume the harvest in '{dir}' with MaxWindows = {max}: its shards already hold rows of {started} windows. " +
                    "Raise MaxWindows, or harvest into another folder.", manifestPath);
            ActivationStore.Open(dir); // every committed shard present with its recorded size, before anything is appended
            m = m with { WindowLimit = config.MaxWindows };
        }
        else
        {
            m = ActivationStoreManifest.ForNew(config);
        }

        var resumeWindow = m.WindowsConsumed;
        var resumeRow = m.NextRowInWindow;
        var d = config.DModel;
        var tps = config.TokensPerShard;
        using var buffer_ND = empty([tps, d], config.StorageDType.ToScalarType()).DetachFromDisposeScope();
        var bufTokens = new int[tps];
        var bufPositions = new int[tps];
        var bufWindows = new long[tps];
        long fill = 0;
        var shardStart = (Window: m.WindowsConsumed, Row: m.NextRowInWindow);
        var windowsEnd = resumeWindow / config.BatchWindows * config.BatchWindows;
        var clock = Stopwatch.StartNew();
        long sessionRows = 0;

        void Report() => progress?.Report(new HarvestProgress(windowsEnd, m.TotalRows + fill, m.Shards.Count, fill,
            sessionRows / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), clock.Elapsed));

        void Commit(long rows, (long Window, long Row) next)
        {
            var shard = WriteShard(dir, m.Shards.Count, config, buffer_ND, bufTokens, bufPositions, bufWindows, rows, shardStart);
            m = m with
            {
                Shards = [.. m.Shards, shard],
                TotalRows = m.TotalRows + rows,
                WindowsConsumed = next.Window,
                NextRowInWindow = next.Row,
            };
            m.Save(manifestPath);
            shardStart = next;
        }

        foreach (var chunk in Rows(config, windows, activations, resumeWindow, resumeRow, cancellationToken))
        {
            using (chunk)
            {
                var i = 0;
                while (i < chunk.Count)
                {
                    var take = (int)Math.Min(tps - fill, chunk.Count - i);
                    using (var scope = NewDisposeScope())
                        buffer_ND.narrow(0, fill, take).copy_(chunk.Rows_ND.narrow(0, i, take));
                    Array.Copy(chunk.Tokens, i, bufTokens, fill, take);
                    Array.Copy(chunk.Positions, i, bufPositions, fill, take);
                    Array.Copy(chunk.Windows, i, bufWindows, fill, take);
                    fill += take;
                    i += take;
                    sessionRows += take;
                    if (fill == tps)
                    {
                        fill = 0;
                        Commit(tps, chunk.ResumePointAfter(i - 1));
                        Report();
                    }
                }
                windowsEnd = chunk.WindowsEnd;
            }
            Report();
        }

        if (windowsEnd < resumeWindow + (resumeRow > 0 ? 1 : 0))
            throw new ActivationStoreException(
                $"the token stream ended after {windowsEnd} windows, but the store in '{dir}' already holds rows up to window {resumeWindow}: " +
                "is this the stream the harvest started on? Harvest into another folder, or pass overwrite: true.", manifestPath);
        if (fill > 0)
        {
            var rows = fill;
            fill = 0;
            Commit(rows, (windowsEnd, 0));
        }
        m = m with { Complete = true, WindowsConsumed = Math.Max(m.WindowsConsumed, windowsEnd), NextRowInWindow = 0 };
        m.Save(manifestPath);
        Report();
        return ActivationStore.Open(dir);
    }

    /// <summary>
    /// The in-memory mode, for notebooks and small experiments: the same harvest (same batches, skipping rules and
    /// storage rounding) into one [N, D] float32 matrix with the tokens, positions and windows of its rows, equal to
    /// <see cref="ActivationStore.ReadAll"/> of a disk harvest with the same config. Holds every row: about
    /// N x D x (bytes of the storage dtype + 4) at the end. <see cref="HarvestConfig.TokensPerShard"/> is not used.
    /// </summary>
    public static HarvestedActivations HarvestToMemory(HarvestConfig config, ITokenWindowSource windows, ActivationFunction activations,
        IProgress<HarvestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(activations);
        config.Validate();
        CheckContextLength(config, windows);

        var chunks = new List<RowChunk>();
        var clock = Stopwatch.StartNew();
        long rows = 0;
        try
        {
            foreach (var chunk in Rows(config, windows, activations, 0, 0, cancellationToken))
            {
                chunks.Add(chunk);
                rows += chunk.Count;
                progress?.Report(new HarvestProgress(chunk.WindowsEnd, rows, 0, rows, rows / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), clock.Elapsed));
            }
            using var scope = NewDisposeScope();
            var acts = chunks.Count == 0
                ? zeros([0, config.DModel], ScalarType.Float32)
                : cat(chunks.Select(c => c.Rows_ND).ToList()).to(ScalarType.Float32);
            var result = new HarvestedActivations(acts,
                tensor(chunks.SelectMany(c => c.Tokens).ToArray()),
                tensor(chunks.SelectMany(c => c.Positions).ToArray()),
                tensor(chunks.SelectMany(c => c.Windows).ToArray()));
            return result;
        }
        finally
        {
            foreach (var c in chunks) c.Dispose();
        }
    }

    private static void CheckContextLength(HarvestConfig config, ITokenWindowSource windows)
    {
        if (windows.ContextLength != config.ContextLength)
            throw new ArgumentException(
                $"the token source has windows of {windows.ContextLength} tokens but HarvestConfig.ContextLength = {config.ContextLength}", nameof(windows));
    }

    /// <summary>One batch's kept rows, in stream order: activations in the storage dtype (CPU) and, per row, its token,
    /// position, window and rank among the kept rows of its window.</summary>
    private sealed class RowChunk(Tensor rows_ND, int[] tokens, int[] positions, long[] windows, long[] ranks, bool[] lastInWindow, long windowsEnd)
        : IDisposable
    {
        public Tensor Rows_ND { get; } = rows_ND;
        public int[] Tokens { get; } = tokens;
        public int[] Positions { get; } = positions;
        public long[] Windows { get; } = windows;
        public long WindowsEnd { get; } = windowsEnd;
        public int Count => Tokens.Length;

        /// <summary>Where a harvest resumes when row <paramref name="i"/> is the last committed one.</summary>
        public (long Window, long Row) ResumePointAfter(int i) => lastInWindow[i] ? (Windows[i] + 1, 0) : (Windows[i], ranks[i] + 1);

        public void Dispose() => Rows_ND.Dispose();
    }

    /// <summary>
    /// The kept rows from window <paramref name="startWindow"/>, kept row <paramref name="startRow"/> on, one chunk per
    /// batch. Batches are aligned to multiples of BatchWindows, so the model always sees the same batches; rows before
    /// the start point are computed and dropped.
    /// </summary>
    private static IEnumerable<RowChunk> Rows(HarvestConfig c, ITokenWindowSource source, ActivationFunction fn, long startWindow, long startRow,
        CancellationToken ct)
    {
        int bw = c.BatchWindows, T = c.ContextLength;
        var limit = c.MaxWindows ?? long.MaxValue;
        var w = startWindow / bw * bw;
        if (w >= limit) yield break;
        var tokens = new long[bw * T];
        using var e = source.ReadFrom(w).GetEnumerator();
        while (w < limit)
        {
            ct.ThrowIfCancellationRequested();
            var n = 0;
            while (n < bw && w + n < limit && e.MoveNext())
            {
                var window = e.Current;
                if (window is null || window.Length != T)
                    throw new InvalidDataException(
                        $"window {w + n} of the token stream has {window?.Length.ToString() ?? "no"} tokens; the harvest's context length is {T}");
                for (var t = 0; t < T; t++) tokens[n * T + t] = window[t];
                n++;
            }
            if (n == 0) yield break;
            var chunk = Compute(c, fn, tokens, n, w, startWindow, startRow);
            w += n;
            yield return chunk;
        }
    }

    private static RowChunk Compute(HarvestConfig c, ActivationFunction fn, long[] tokens, int n, long firstWindow, long startWindow, long startRow)
    {
        int T = c.ContextLength, d = c.DModel;
        var index = new List<long>();
        var toks = new List<int>();
        var positions = new List<int>();
        var windows = new List<long>();
        var ranks = new List<long>();
        var last = new List<bool>();
        for (var j = 0; j < n; j++)
        {
            var wj = firstWindow + j;
            if (wj < startWindow) continue;
            var kept = 0L;
            for (var t = 0; t < T; t++)
                if (Keep(c, t, tokens[j * T + t])) kept++;
            var rank = 0L;
            for (var t = 0; t < T; t++)
            {
                var tok = tokens[j * T + t];
                if (!Keep(c, t, tok)) continue;
                if (wj > startWindow || rank >= startRow)
                {
                    index.Add(j * T + t);
                    toks.Add((int)tok);
                    positions.Add(t);
                    windows.Add(wj);
                    ranks.Add(rank);
                    last.Add(rank == kept - 1);
                }
                rank++;
            }
        }

        Tensor rows_ND;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var tokens_BT = tensor(tokens.AsSpan(0, n * T).ToArray(), new long[] { n, T });
            var acts_BTD = fn(tokens_BT);
            if (acts_BTD is null || acts_BTD.dim() != 3 || acts_BTD.size(0) != n || acts_BTD.size(1) != T || acts_BTD.size(2) != d)
                throw new InvalidOperationException(
                    $"the activation function for hook '{c.HookName}' returned {acts_BTD?.ShapeString ?? "null"}; expected [B, T, D] = [{n}, {T}, {d}] " +
                    "(D is HarvestConfig.DModel)");
            if (!acts_BTD.is_floating_point())
                throw new InvalidOperationException($"the activation function for hook '{c.HookName}' returned {acts_BTD.dtype} values; expected floating point");
            var storage = c.StorageDType.ToScalarType();
            rows_ND = index.Count == 0
                ? empty([0, d], storage)
                : acts_BTD.reshape(n * T, d).index_select(0, tensor(index.ToArray()).to(acts_BTD.device)).to(storage).cpu().contiguous();
            rows_ND.DetachFromDisposeScope();
        }
        return new RowChunk(rows_ND, [.. toks], [.. positions], [.. windows], [.. ranks], [.. last], firstWindow + n);
    }

    private static bool Keep(HarvestConfig c, int position, long token) =>
        !(c.SkipFirstPosition && position == 0) && !(c.SkipTokenId is { } skip && token == skip);

    private static ShardInfo WriteShard(string dir, int index, HarvestConfig c, Tensor buffer_ND, int[] tokens, int[] positions, long[] windows,
        long rows, (long Window, long Row) start)
    {
        var name = ActivationStore.ShardFileName(index);
        var path = Path.Combine(dir, name);
        using (var scope = NewDisposeScope())
        {
            var n = (int)rows;
            SafeTensors.Save(
            [
                new(ActivationStore.ActivationsName, buffer_ND.narrow(0, 0, rows)),
                new(ActivationStore.TokensName, tensor(tokens.AsSpan(0, n).ToArray())),
                new(ActivationStore.PositionsName, tensor(positions.AsSpan(0, n).ToArray())),
                new(ActivationStore.WindowsName, tensor(windows.AsSpan(0, n).ToArray())),
            ], path, new Dictionary<string, string>
            {
                ["format"] = ShardFormatName,
                ["hook_name"] = c.HookName,
                ["model_id"] = c.ModelId,
                ["shard_index"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }
        return new ShardInfo
        {
            File = name,
            Rows = rows,
            Bytes = new FileInfo(path).Length,
            Crc32c = Crc32C.OfFile(path),
            FirstWindow = start.Window,
            FirstRowInWindow = start.Row,
        };
    }
}

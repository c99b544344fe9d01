using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SaeWorkbench.IO;

namespace SaeWorkbench.Tests.IO;

/// <summary>
/// Seeded mutations of valid safetensors files (issue 15's campaign, in CI): every mutant either fails with a
/// <see cref="SafeTensorsException"/> naming the file, or loads, and then every tensor holds exactly the bytes that an
/// independent reading of the mutant (JSON DOM + offsets) says it holds. Each open allocates at most a bounded amount.
/// </summary>
public sealed class SafeTensorsFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saewb-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int Mutants = 2400;

    /// <summary>Per open, at most this many bytes allocated (the files are under 4 KB; a reader that trusted a mutated
    /// length or shape would allocate far more).</summary>
    private const long AllocationBound = 8L << 20;

    private static byte[] Valid(int variant)
    {
        var sb = new StringBuilder("{");
        var data = new List<byte>();
        var rng = new Random(variant);
        if (variant % 2 == 0) sb.Append("\"__metadata__\":{\"format\":\"pt\",\"note\":\"v").Append(variant).Append("\"},");
        var (dtypes, sizes) = (new[] { "F32", "F64", "BF16", "I64", "U8", "BOOL", "I32", "F16" }, new[] { 4, 8, 2, 8, 1, 1, 4, 2 });
        var n = 1 + variant % 5;
        for (var i = 0; i < n; i++)
        {
            var d = (variant + i) % dtypes.Length;
            var shape = i % 3 == 0 ? new[] { 1 + rng.Next(6), 1 + rng.Next(5) } : i % 3 == 1 ? new[] { 1 + rng.Next(9) } : Array.Empty<int>();
            var bytes = shape.Aggregate(1, (a, b) => a * b) * sizes[d];
            if (i > 0) sb.Append(',');
            sb.Append($"\"t{i}\":{{\"dtype\":\"{dtypes[d]}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{data.Count},{data.Count + bytes}]}}");
            for (var b = 0; b < bytes; b++) data.Add(dtypes[d] == "BOOL" ? (byte)rng.Next(2) : (byte)rng.Next(256));
        }
        sb.Append('}');
        while (sb.Length % 8 != 0) sb.Append(' ');
        var header = Encoding.UTF8.GetBytes(sb.ToString());
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        return [.. prefix, .. header, .. data];
    }

    /// <summary>One seeded mutation: byte flips anywhere or in the header, a changed length prefix, truncation, appended
    /// bytes, or an edited header token (digits, quotes, brackets, names).</summary>
    private static byte[] Mutate(byte[] file, Random rng)
    {
        var f = file.ToList();
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        switch (rng.Next(9))
        {
            case 0: f[rng.Next(f.Count)] ^= (byte)(1 << rng.Next(8)); break;
            case 1: f[8 + rng.Next(headerLength)] = (byte)rng.Next(256); break;
            case 2:
            {
                var delta = new long[] { -9, -8, -1, 1, 8, 1 << 20, -headerLength, long.MaxValue / 2 }[rng.Next(8)];
                BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(f), unchecked((ulong)(headerLength + delta)));
                break;
            }
            case 3:
            {
                var cut = rng.Next(f.Count);
                f.RemoveRange(cut, f.Count - cut);
                break;
            }
            case 4: f.AddRange(Enumerable.Range(0, 1 + rng.Next(16)).Select(_ => (byte)rng.Next(256))); break;
            case 5:
            {
                // Replace a digit of the header by another: shapes and offsets change.
                var digits = Enumerable.Range(8, headerLength).Where(i => f[i] is >= (byte)'0' and <= (byte)'9').ToList();
                if (digits.Count > 0) f[digits[rng.Next(digits.Count)]] = (byte)('0' + rng.Next(10));
                break;
            }
            case 6:
            {
                // Insert a big number in front of a digit (huge shapes or offsets).
                var digits = Enumerable.Range(8, headerLength).Where(i => f[i] is >= (byte)'0' and <= (byte)'9').ToList();
                if (digits.Count > 0) f.InsertRange(digits[rng.Next(digits.Count)], Encoding.ASCII.GetBytes(new[] { "9999999999", "-", "1e3", "18446744073709551616" }[rng.Next(4)]));
                break;
            }
            case 7:
            {
                // Break or swap structure: a quote, bracket, colon or comma replaced by another.
                var structural = Enumerable.Range(8, headerLength).Where(i => "\"[]{}:,".Contains((char)f[i])).ToList();
                if (structural.Count > 0) f[structural[rng.Next(structural.Count)]] = (byte)"\"[]{}:, "[rng.Next(8)];
                break;
            }
            default:
            {
                // Rename a tensor to a dtype name, a duplicate, or metadata.
                var text = Encoding.UTF8.GetString(file, 8, headerLength);
                var edited = new[] { text.Replace("\"t1\"", "\"t0\""), text.Replace("\"F32\"", "\"F31\""), text.Replace("\"t0\"", "\"__metadata__\""), text.Replace("U8", "U64") }[rng.Next(4)];
                var bytes = Encoding.UTF8.GetBytes(edited);
                f.RemoveRange(8, headerLength);
                f.InsertRange(8, bytes);
                break;
            }
        }
        return f.ToArray();
    }

    [Fact]
    public void EveryMutantFailsCleanlyOrLoadsExactlyTheBytesItDescribes()
    {
        var rng = new Random(20261205);
        int rejected = 0, loaded = 0;
        for (var m = 0; m < Mutants; m++)
        {
            var bytes = Mutate(Valid(m % 40), rng);
            var path = Path.Combine(_dir, $"m{m}.safetensors");
            File.WriteAllBytes(path, bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var file = SafeTensorsFile.Open(path);
                var read = file.Entries.ToDictionary(e => e.Name, e => file.ReadBytes(e.Name));
                Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < AllocationBound, $"mutant {m}: allocated too much");
                AssertSameAsIndependentReading(bytes, read, m);
                loaded++;
            }
            catch (SafeTensorsException e)
            {
                Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < AllocationBound, $"mutant {m}: allocated too much before failing");
                Assert.Contains(path, e.Message);
                rejected++;
            }
            File.Delete(path);
        }
        Assert.Equal(Mutants, rejected + loaded);
        Assert.True(rejected > Mutants / 4 && loaded > Mutants / 20, $"the mutations should both break and keep files: {rejected} rejected, {loaded} loaded");
    }

    /// <summary>Reads the mutant with System.Text.Json's DOM and the offsets, independently of the reader under test.</summary>
    private static void AssertSameAsIndependentReading(byte[] file, Dictionary<string, byte[]> read, int m)
    {
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var doc = JsonDocument.Parse(file.AsMemory(8, n));
        var expected = doc.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToList();
        Assert.Equal(expected.Count, read.Count);
        var dataStart = 8 + n;
        long end = 0;
        foreach (var p in expected)
        {
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var size = p.Value.GetProperty("dtype").GetString() switch { "F64" or "I64" or "U64" => 8, "F32" or "I32" or "U32" => 4, "F16" or "BF16" or "I16" or "U16" => 2, _ => 1 };
            Assert.Equal(offsets[1] - offsets[0], shape.Aggregate(1L, (a, b) => a * b) * size);
            Assert.Equal(file.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0])).ToArray(), read[p.Name]);
            end = Math.Max(end, offsets[1]);
        }
        Assert.True(dataStart + end == file.Length, $"mutant {m}: loaded although the tensors do not reach the end of the file");
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SaeWorkbench.Tests;

public sealed class SafeTensorsFormatTests : IDisposable
{
    private readonly string _dir;

    public SafeTensorsFormatTests()
    {
        _dir = Path.Combine(Path.GetTempPath(), "st-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // ------------------------------------------------------------------ helpers

    private string PathFor(string name) => Path.Combine(_dir, name);

    internal static byte[] Bytes<T>(params T[] values) where T : unmanaged =>
        MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    internal static T[] As<T>(byte[] bytes) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(bytes).ToArray();

    internal static ushort BF16(float f) => (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16);

    /// <summary>Writes a file: 8-byte length prefix (or <paramref name="lengthOverride"/>), the header bytes
    /// (space-padded to 8 when <paramref name="pad"/>), then <paramref name="data"/>.</summary>
    private string WriteRaw(string fileName, byte[] header, byte[]? data = null, ulong? lengthOverride = null, bool pad = true)
    {
        var h = header.ToList();
        if (pad)
            while (h.Count % 8 != 0) h.Add((byte)' ');
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, lengthOverride ?? (ulong)h.Count);
        var path = PathFor(fileName);
        File.WriteAllBytes(path, [.. prefix, .. h, .. data ?? []]);
        return path;
    }

    private string WriteRaw(string fileName, string headerJson, byte[]? data = null) =>
        WriteRaw(fileName, Encoding.UTF8.GetBytes(headerJson), data);

    /// <summary>Opening must fail with a SafeTensorsException naming the file and containing <paramref name="phrase"/>.</summary>
    private static SafeTensorsException AssertOpenFails(string path, string phrase)
    {
        var ex = Assert.Throws<SafeTensorsException>(() => { using var f = SafeTensorsFile.Open(path); });
        Assert.Contains(Path.GetFileName(path), ex.Message);
        Assert.Contains(phrase, ex.Message);
        return ex;
    }

    private void AssertHeaderFails(string headerJson, string phrase, byte[]? data = null, [System.Runtime.CompilerServices.CallerLineNumber] int line = 0) =>
        AssertOpenFails(WriteRaw($"hostile-{line}-{Guid.NewGuid():N}.safetensors", headerJson, data), phrase);

    private static string Entry(string dtype, string shape, string offsets) =>
        $"{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    private string[] TempFilesIn(string dir) =>
        Directory.GetFiles(dir).Where(f => Path.GetFileName(f).Contains(".tmp-")).ToArray();

    // ------------------------------------------------------------------ dtypes

    [Fact]
    public void DTypeNamesSizesAndParsingAgree()
    {
        foreach (var t in Enum.GetValues<SafeTensorDType>())
        {
            Assert.Equal(t.ToString(), SafeTensorDTypes.ToName(t));
            Assert.Equal(t, SafeTensorDTypes.Parse(SafeTensorDTypes.ToName(t), "test"));
        }
        Assert.Equal(8, SafeTensorDTypes.ElementSize(SafeTensorDType.F64));
        Assert.Equal(4, SafeTensorDTypes.ElementSize(SafeTensorDType.F32));
        Assert.Equal(2, SafeTensorDTypes.ElementSize(SafeTensorDType.BF16));
        Assert.Equal(1, SafeTensorDTypes.ElementSize(SafeTensorDType.BOOL));
        Assert.Equal(1, SafeTensorDTypes.ElementSize(SafeTensorDType.F8_E5M2));
        Assert.Equal(8, SafeTensorDTypes.ElementSize(SafeTensorDType.U64));
        Assert.True(SafeTensorDTypes.IsSupportedForTensorConversion(SafeTensorDType.BF16));
        Assert.False(SafeTensorDTypes.IsSupportedForTensorConversion(SafeTensorDType.U32));
        Assert.False(SafeTensorDTypes.IsSupportedForTensorConversion(SafeTensorDType.F8_E4M3));

        var ex = Assert.Throws<SafeTensorsException>(() => SafeTensorDTypes.Parse("f32", "tensor 'x' in file 'y'"));
        Assert.Contains("Unknown dtype 'f32'", ex.Message);
        Assert.Contains("tensor 'x' in file 'y'", ex.Message);
    }

    [Fact]
    public void EntryElementCountAndEquality()
    {
        var a = new SafeTensorEntry("a", SafeTensorDType.F32, [2, 3], 0, 24);
        Assert.Equal(6, a.ElementCount);
        Assert.Equal(24, a.ByteLength);
        Assert.Equal(1, new SafeTensorEntry("s", SafeTensorDType.F32, [], 0, 4).ElementCount);
        Assert.Equal(0, new SafeTensorEntry("e", SafeTensorDType.F32, [0, 5], 0, 0).ElementCount);
        Assert.Equal(a, new SafeTensorEntry("a", SafeTensorDType.F32, [2, 3], 0, 24));
        Assert.NotEqual(a, new SafeTensorEntry("a", SafeTensorDType.F32, [3, 2], 0, 24));
        Assert.Equal("a: F32[2, 3] bytes [0, 24)", a.ToString());
    }

    // ------------------------------------------------------------------ round trips

    internal static List<SafeTensorToWrite> SampleTensors() =>
    [
        new("f32", SafeTensorDType.F32, [2, 3], Bytes(-1f, -0.5f, 0f, 0.5f, 1f, 1.5f)),
        new("f64", SafeTensorDType.F64, [3], Bytes(1.5, -2.25, 1e300)),
        new("f16", SafeTensorDType.F16, [3], Bytes((Half)1, (Half)(-0.5), (Half)65504)),
        new("bf16", SafeTensorDType.BF16, [2, 2], Bytes(BF16(-1), BF16(0), BF16(1), BF16(2))),
        new("i64", SafeTensorDType.I64, [2], Bytes(-(1L << 62), 7L)),
        new("i32", SafeTensorDType.I32, [2, 2], Bytes(1, -2, 3, -4)),
        new("i16", SafeTensorDType.I16, [2], Bytes<short>(-32768, 32767)),
        new("i8", SafeTensorDType.I8, [3], Bytes<sbyte>(-128, 127, 0)),
        new("u8", SafeTensorDType.U8, [3], Bytes<byte>(0, 255, 42)),
        new("bool", SafeTensorDType.BOOL, [3], Bytes<byte>(1, 0, 1)),
        new("scalar", SafeTensorDType.F32, [], Bytes(3.25f)),
        new("empty", SafeTensorDType.F32, [0, 4], Array.Empty<byte>()),
    ];

    [Fact]
    public void RoundTripSeveralDTypesAndShapes()
    {
        var path = PathFor("roundtrip.safetensors");
        var tensors = SampleTensors();
        tensors.Add(new("u64", SafeTensorDType.U64, [1, 1, 2], Bytes(ulong.MaxValue, 1UL)));
        tensors.Add(new("fp8", SafeTensorDType.F8_E4M3, [2], Bytes<byte>(0x38, 0xB8)));
        SafeTensorsWriter.Write(path, tensors);

        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(Path.GetFullPath(path), f.Path);
        Assert.Empty(f.Metadata);
        Assert.Equal(tensors.Select(t => t.Name), f.Entries.Select(e => e.Name));
        Assert.Equal(0, (f.DataOffset - 8) % 8);

        long expectedBegin = 0;
        foreach (var t in tensors)
        {
            Assert.True(f.Contains(t.Name));
            var e = f[t.Name];
            Assert.Equal(t.DType, e.DType);
            Assert.Equal(t.Shape, e.Shape);
            Assert.Equal(expectedBegin, e.Begin);
            Assert.Equal(t.Data.Length, e.ByteLength);
            expectedBegin = e.End;
            Assert.Equal(t.Data.ToArray(), f.ReadBytes(t.Name));
            var buf = new byte[e.ByteLength];
            f.ReadInto(t.Name, buf);
            Assert.Equal(t.Data.ToArray(), buf);
        }
        Assert.Equal(f.DataOffset + expectedBegin, f.FileLength);

        Assert.Equal([-1f, -0.5f, 0f, 0.5f, 1f, 1.5f], As<float>(f.ReadBytes("f32")));
        Assert.Equal(1e300, As<double>(f.ReadBytes("f64"))[2]);
        Assert.Equal((Half)65504, As<Half>(f.ReadBytes("f16"))[2]);
        Assert.Equal(3.25f, As<float>(f.ReadBytes("scalar")).Single());
        Assert.Empty(f["scalar"].Shape);
        Assert.Equal(1, f["scalar"].ElementCount);
        Assert.Equal(0, f["empty"].ElementCount);
        Assert.Empty(f.ReadBytes("empty"));
        f.ReadInto("empty", Span<byte>.Empty);
    }

    [Fact]
    public unsafe void ReadIntoUnmanagedMemory()
    {
        var path = PathFor("native.safetensors");
        var data = Bytes(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray());
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("w", SafeTensorDType.F32, [10, 100], data)]);
        using var f = SafeTensorsFile.Open(path);
        var mem = (nint)NativeMemory.Alloc((nuint)data.Length);
        try
        {
            f.ReadInto("w", mem, data.Length);
            Assert.Equal(data, new ReadOnlySpan<byte>((void*)mem, data.Length).ToArray());
            Assert.Throws<ArgumentException>(() => f.ReadInto("w", mem, data.Length - 1));
        }
        finally
        {
            NativeMemory.Free((void*)mem);
        }
    }

    [Fact]
    public void MetadataRoundTrip()
    {
        var path = PathFor("meta.safetensors");
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["config"] = "{\"d_sae\": 16384, \"hook\": \"blocks.8.hook_resid_pre\"}",
            ["unicode"] = "λ → ∞ \"quoted\" \\ back\nslash <tag> & +",
            ["empty"] = "",
        };
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.I32, [1], Bytes(5))], metadata);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(metadata.OrderBy(kv => kv.Key), f.Metadata.OrderBy(kv => kv.Key));
        // Non-ASCII is written as raw UTF-8 (like the reference writer), not \u escapes.
        Assert.Contains("λ → ∞", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    [Fact]
    public void CallbackTensorsRoundTripAndMixWithMemoryTensors()
    {
        var path = PathFor("callback.safetensors");
        var big = Bytes(Enumerable.Range(0, 10_000).Select(i => (float)i).ToArray());
        SafeTensorsWriter.Write(path,
        [
            new SafeTensorToWrite("a", SafeTensorDType.U8, [2], Bytes<byte>(1, 2)),
            new SafeTensorToWrite("streamed", SafeTensorDType.F32, [100, 100], big.Length, s =>
            {
                Assert.False(s.CanSeek);
                Assert.False(s.CanRead);
                for (var i = 0; i < big.Length; i += 999)
                    s.Write(big, i, Math.Min(999, big.Length - i));
                s.Dispose(); // allowed; must not close the file
            }),
            new SafeTensorToWrite("b", SafeTensorDType.U8, [1], Bytes<byte>(3)),
            new SafeTensorToWrite("streamed_empty", SafeTensorDType.F16, [0], 0, _ => { }),
        ]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(big, f.ReadBytes("streamed"));
        Assert.Equal(new byte[] { 1, 2 }, f.ReadBytes("a"));
        Assert.Equal(new byte[] { 3 }, f.ReadBytes("b"));
        Assert.Equal(2 + big.Length, f["b"].Begin);
    }

    // ------------------------------------------------------------------ known answer

    // {"__metadata__":{"format":"pt"},"a":{...F32 [2]...},"bb":{...U8 scalar...}} is 137 bytes -> 7 spaces -> 144 = 0x90.
    private const string KnownHeader =
        "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
        "\"bb\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[8,9]}}       ";

    private static byte[] KnownFile() =>
    [
        0x90, 0, 0, 0, 0, 0, 0, 0,
        .. Encoding.ASCII.GetBytes(KnownHeader),
        0x00, 0x00, 0xC0, 0x3F, // 1.5f
        0x00, 0x00, 0x00, 0xC0, // -2.0f
        0x2A,                   // 42
    ];

    [Fact]
    public void WriterProducesKnownBytes()
    {
        Assert.Equal(144, KnownHeader.Length);
        var path = PathFor("known.safetensors");
        SafeTensorsWriter.Write(path,
            [
                new SafeTensorToWrite("a", SafeTensorDType.F32, [2], Bytes(1.5f, -2f)),
                new SafeTensorToWrite("bb", SafeTensorDType.U8, [], new byte[] { 42 }),
            ],
            new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(KnownFile(), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReaderParsesKnownBytes()
    {
        var path = PathFor("known-read.safetensors");
        File.WriteAllBytes(path, KnownFile());
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(8 + 144, f.DataOffset);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(
            [new SafeTensorEntry("a", SafeTensorDType.F32, [2], 0, 8), new SafeTensorEntry("bb", SafeTensorDType.U8, [], 8, 9)],
            f.Entries);
        Assert.Equal([1.5f, -2f], As<float>(f.ReadBytes("a")));
        Assert.Equal(new byte[] { 42 }, f.ReadBytes("bb"));
    }

    [Fact]
    public void ReaderAcceptsGapsUnsortedEntriesZeroLengthRangesAndNoMetadata()
    {
        // Header order differs from data order; a 4-byte gap between tensors, two empty tensors at the same
        // offset, no padding and a null __metadata__.
        var header = "{\"late\":" + Entry("U8", "[2]", "[8,10]") +
                     ",\"early\":" + Entry("I32", "[1]", "[0,4]") +
                     ",\"z1\":" + Entry("F32", "[0]", "[4,4]") +
                     ",\"z2\":" + Entry("F64", "[3,0]", "[4,4]") +
                     ",\"__metadata__\":null}";
        var path = WriteRaw("gaps.safetensors", Encoding.UTF8.GetBytes(header), [1, 0, 0, 0, 9, 9, 9, 9, 7, 8], pad: false);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(["early", "z1", "z2", "late"], f.Entries.Select(e => e.Name));
        Assert.Empty(f.Metadata);
        Assert.Equal(new byte[] { 7, 8 }, f.ReadBytes("late"));
        Assert.Equal(1, BitConverter.ToInt32(f.ReadBytes("early")));
    }

    // ------------------------------------------------------------------ hostile files

    [Fact]
    public void AHeaderLengthLoweredIntoThePaddingIsRejectedNotReadShifted()
    {
        // Issue 15: the JSON still parses with one padding space fewer, and the data region gains a leading space byte;
        // every tensor would be read one byte early. The tensors no longer reach the end of the data region.
        var json = "{\"a\":" + Entry("U8", "[4]", "[0,4]") + "}";
        var padded = Encoding.UTF8.GetBytes(json + new string(' ', 8 - json.Length % 8 + 8));
        var ok = WriteRaw("ok.safetensors", padded, [1, 2, 3, 4], pad: false);
        using (var f = SafeTensorsFile.Open(ok)) Assert.Equal(new byte[] { 1, 2, 3, 4 }, f.ReadBytes("a"));
        var shifted = WriteRaw("shifted.safetensors", padded, [1, 2, 3, 4], lengthOverride: (ulong)padded.Length - 1, pad: false);
        AssertOpenFails(shifted, "1 byte(s) after the last tensor");
        var trailing = WriteRaw("trailing.safetensors", padded, [1, 2, 3, 4, 5], pad: false);
        AssertOpenFails(trailing, "trailing data");
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\t")]
    [InlineData("\r")]
    public void OnlySpacesMayPadTheHeader(string pad)
    {
        var json = "{\"a\":" + Entry("U8", "[1]", "[0,1]") + "}";
        var path = WriteRaw("pad.safetensors", Encoding.UTF8.GetBytes(json + pad + "   "), [7], pad: false);
        AssertOpenFails(path, "is not a space");
    }

    [Fact]
    public void MoreTensorsThanTheBoundAreRefusedQuickly()
    {
        // 70,000 one-byte tensors: a valid file, refused at the 65,537th entry with the bound and the fix.
        var n = SafeTensorsHeader.MaxTensors + 4464;
        var sb = new StringBuilder("{");
        for (var i = 0; i < n; i++) sb.Append(i == 0 ? "" : ",").Append("\"t").Append(i).Append("\":").Append(Entry("U8", "[1]", $"[{i},{i + 1}]"));
        sb.Append('}');
        var path = WriteRaw("many.safetensors", Encoding.UTF8.GetBytes(sb.ToString()), new byte[n]);
        AssertOpenFails(path, $"more than {SafeTensorsHeader.MaxTensors} tensors");
    }

    [Fact]
    public void RejectsTooShortFiles()
    {
        var empty = PathFor("empty.safetensors");
        File.WriteAllBytes(empty, []);
        AssertOpenFails(empty, "too short");
        var five = PathFor("five.safetensors");
        File.WriteAllBytes(five, [1, 2, 3, 4, 5]);
        AssertOpenFails(five, "too short");
    }

    [Fact]
    public void RejectsBadHeaderLengths()
    {
        AssertOpenFails(WriteRaw("zero.safetensors", [], pad: false), "header length is 0");
        AssertOpenFails(WriteRaw("pastend.safetensors", Encoding.UTF8.GetBytes("{}"), lengthOverride: 1000), "extends beyond the end of the file");
        AssertOpenFails(WriteRaw("pastend2.safetensors", Encoding.UTF8.GetBytes("{}      "), lengthOverride: 9, pad: false), "extends beyond the end of the file");
    }

    [Theory]
    [InlineData(1UL << 63)]
    [InlineData(1_000_000_000_000UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(100_000_001UL)]
    public void HugeHeaderLengthIsRejectedWithoutAllocating(ulong length)
    {
        var path = WriteRaw($"huge-{length}.safetensors", Encoding.UTF8.GetBytes("{}"), lengthOverride: length);
        var before = GC.GetAllocatedBytesForCurrentThread();
        AssertOpenFails(path, "exceeds the maximum header size");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "rejecting a huge header length must not allocate");
    }

    [Fact]
    public void ConfigurableHeaderLimit()
    {
        var path = WriteRaw("limit.safetensors", "{\"a\":" + Entry("U8", "[1]", "[0,1]") + "}", [1]);
        using (SafeTensorsFile.Open(path, 1000)) { }
        var ex = Assert.Throws<SafeTensorsException>(() => SafeTensorsFile.Open(path, 16));
        Assert.Contains("exceeds the maximum header size of 16 bytes", ex.Message);
    }

    [Fact]
    public void RejectsNonUtf8AndNonJsonHeaders()
    {
        AssertOpenFails(WriteRaw("utf8.safetensors", [(byte)'{', 0xFF, 0xFE, (byte)'}']), "not valid UTF-8");
        AssertOpenFails(WriteRaw("bom.safetensors", [0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}']), "byte order mark");
        AssertHeaderFails("hello", "not valid JSON");
        AssertHeaderFails("{\"a\":", "not valid JSON");
        AssertHeaderFails("{} x", "is not a space");
        AssertHeaderFails("{}{}", "is not a space");
        AssertHeaderFails("{/*c*/}", "not valid JSON");
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[0,1]") + ",}", "not valid JSON", [1]);
        AssertHeaderFails("{\"\\uD800\":" + Entry("U8", "[1]", "[0,1]") + "}", "not valid JSON", [1]);
        AssertOpenFails(WriteRaw("nul.safetensors", [(byte)'{', (byte)'}', 0, 0, 0, 0, 0, 0], pad: false), "is not a space");
        AssertHeaderFails("[]", "not a JSON object");
        AssertHeaderFails("\"str\"", "not a JSON object");
        AssertHeaderFails("42", "not a JSON object");
        AssertHeaderFails("[" + new string('[', 5000) + new string(']', 5000) + "]", "not a JSON object");
    }

    [Fact]
    public void RejectsMalformedEntries()
    {
        AssertHeaderFails("{\"a\":5}", "header entry for tensor 'a' must be a JSON object");
        AssertHeaderFails("{\"a\":[]}", "header entry for tensor 'a' must be a JSON object");
        AssertHeaderFails("{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", "missing field 'dtype' for tensor 'a'", [1]);
        AssertHeaderFails("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", "missing field 'shape' for tensor 'a'", [1]);
        AssertHeaderFails("{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", "missing field 'data_offsets' for tensor 'a'", [1]);
        AssertHeaderFails("{\"a\":{\"dtype\":8,\"shape\":[1],\"data_offsets\":[0,1]}}", "field 'dtype' of tensor 'a' must be a string", [1]);
        AssertHeaderFails("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "duplicate field 'dtype'", [1]);
        AssertHeaderFails("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":1}}", "unknown field 'extra'", [1]);
        AssertHeaderFails("{\"a\":" + Entry("F31", "[1]", "[0,4]") + "}", "Unknown dtype 'F31'", [1, 2, 3, 4]);
        AssertHeaderFails("{\"a\":" + Entry("f32", "[1]", "[0,4]") + "}", "Unknown dtype 'f32'", [1, 2, 3, 4]);
    }

    [Fact]
    public void RejectsBadShapes()
    {
        AssertHeaderFails("{\"a\":" + Entry("U8", "3", "[0,3]") + "}", "field 'shape' of tensor 'a' must be an array", [1, 2, 3]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[-1]", "[0,0]") + "}", "must contain only non-negative integers, found the number -1");
        AssertHeaderFails("{\"a\":" + Entry("U8", "[2.5]", "[0,0]") + "}", "must contain only non-negative integers, found the number 2.5");
        AssertHeaderFails("{\"a\":" + Entry("U8", "[2.0]", "[0,2]") + "}", "must contain only non-negative integers", [1, 2]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1e1]", "[0,10]") + "}", "must contain only non-negative integers", new byte[10]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[\"2\"]", "[0,2]") + "}", "must contain only non-negative integers, found a string", [1, 2]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[null]", "[0,2]") + "}", "must contain only non-negative integers, found null", [1, 2]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[[2]]", "[0,2]") + "}", "must contain only non-negative integers, found an array", [1, 2]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[18446744073709551616]", "[0,0]") + "}", "must contain only non-negative integers");
        AssertHeaderFails("{\"a\":" + Entry("U8", "[4294967296,4294967296]", "[0,0]") + "}", "overflows 64 bits");
        AssertHeaderFails("{\"a\":" + Entry("F64", "[1152921504606846976,8]", "[0,0]") + "}", "overflows 64 bits");
        var tooManyDims = "[" + string.Join(",", Enumerable.Repeat("1", 65)) + "]";
        AssertHeaderFails("{\"a\":" + Entry("U8", tooManyDims, "[0,1]") + "}", "more than 64 dimensions", [1]);
    }

    [Fact]
    public void RejectsBadDataOffsets()
    {
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[0]") + "}", "exactly two integers", [1]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[0,1,2]") + "}", "exactly two integers", [1, 2]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "{\"b\":0}") + "}", "field 'data_offsets' of tensor 'a' must be an array", [1]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[-1,0]") + "}", "must contain only non-negative integers", [1]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[0.0,1]") + "}", "must contain only non-negative integers", [1]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[2,1]") + "}", "begin is greater than end", [1, 2]);
        AssertHeaderFails("{\"a\":" + Entry("F32", "[2]", "[0,4]") + "}", "byte count mismatch for tensor 'a'", [1, 2, 3, 4, 5, 6, 7, 8]);
        AssertHeaderFails("{\"a\":" + Entry("F32", "[2]", "[0,8]") + "}", "beyond the end of the data region (7 bytes)", [1, 2, 3, 4, 5, 6, 7]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[9223372036854775806,9223372036854775807]") + "}", "beyond the end of the data region", [1]);
    }

    [Fact]
    public void RejectsOverlapAndDuplicates()
    {
        AssertHeaderFails("{\"a\":" + Entry("U8", "[4]", "[0,4]") + ",\"b\":" + Entry("U8", "[4]", "[2,6]") + "}",
            "have overlapping data_offsets", new byte[6]);
        AssertHeaderFails("{\"b\":" + Entry("U8", "[4]", "[3,7]") + ",\"a\":" + Entry("U8", "[4]", "[0,4]") + "}",
            "tensors 'a' [0, 4) and 'b' [3, 7) have overlapping data_offsets", new byte[7]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[4]", "[0,4]") + ",\"b\":" + Entry("U8", "[4]", "[0,4]") + "}",
            "have overlapping data_offsets", new byte[4]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[8]", "[0,8]") + ",\"b\":" + Entry("U8", "[2]", "[2,4]") + ",\"c\":" + Entry("U8", "[2]", "[6,8]") + "}",
            "have overlapping data_offsets", new byte[8]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[8]", "[0,8]") + ",\"e\":" + Entry("U8", "[0]", "[4,4]") + "}",
            "have overlapping data_offsets", new byte[8]);
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[0,1]") + ",\"a\":" + Entry("U8", "[1]", "[1,2]") + "}",
            "duplicate key 'a'", [1, 2]);
        // Same name once escaped: still a duplicate.
        AssertHeaderFails("{\"a\":" + Entry("U8", "[1]", "[0,1]") + ",\"\\u0061\":" + Entry("U8", "[1]", "[1,2]") + "}",
            "duplicate key 'a'", [1, 2]);
        AssertHeaderFails("{\"__metadata__\":{},\"__metadata__\":{}}", "duplicate key '__metadata__'");
    }

    [Fact]
    public void RejectsBadMetadata()
    {
        AssertHeaderFails("{\"__metadata__\":{\"a\":1}}", "'__metadata__' value for key 'a' must be a string, found the number 1");
        AssertHeaderFails("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", "'__metadata__' value for key 'a' must be a string, found an object");
        AssertHeaderFails("{\"__metadata__\":{\"a\":null}}", "must be a string, found null");
        AssertHeaderFails("{\"__metadata__\":{\"a\":[\"x\"]}}", "must be a string, found an array");
        AssertHeaderFails("{\"__metadata__\":[]}", "'__metadata__' must be a JSON object mapping strings to strings");
        AssertHeaderFails("{\"__metadata__\":\"x\"}", "'__metadata__' must be a JSON object mapping strings to strings");
        AssertHeaderFails("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", "duplicate key 'a' in '__metadata__'");
    }

    [Fact]
    public void TruncationAfterOpenIsReportedOnRead()
    {
        var path = PathFor("shrinks.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("w", SafeTensorDType.F32, [4], Bytes(1f, 2f, 3f, 4f))]);
        using var f = SafeTensorsFile.Open(path);
        using (var h = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            RandomAccess.SetLength(h, f.FileLength - 3);
        var ex = Assert.Throws<SafeTensorsException>(() => f.ReadBytes("w"));
        Assert.Contains("shrinks.safetensors", ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("tensor 'w'", ex.Message);
    }

    [Fact]
    public void MissingTensorAndWrongDestinationLength()
    {
        var path = PathFor("lookup.safetensors");
        var tensors = Enumerable.Range(0, 15)
            .Select(i => new SafeTensorToWrite($"model.t{i}", SafeTensorDType.U8, [1], new byte[] { (byte)i }))
            .ToList();
        SafeTensorsWriter.Write(path, tensors);
        using var f = SafeTensorsFile.Open(path);
        Assert.False(f.Contains("nope"));
        Assert.False(f.TryGetEntry("nope", out _));
        var ex = Assert.Throws<SafeTensorsException>(() => f["nope"]);
        Assert.Contains("lookup.safetensors", ex.Message);
        Assert.Contains("no tensor named 'nope'", ex.Message);
        Assert.Contains("'model.t0'", ex.Message);
        Assert.Contains("and 5 more", ex.Message);
        Assert.Equal(f.Path, ex.FilePath);
        Assert.Throws<SafeTensorsException>(() => f.ReadBytes("nope"));
        var hint = Assert.Throws<SafeTensorsException>(() => f["t3"]);
        Assert.Contains("Did you mean 'model.t3'?", hint.Message);

        var wrong = Assert.Throws<ArgumentException>(() => f.ReadInto("model.t1", new byte[2]));
        Assert.Contains("model.t1", wrong.Message);
        Assert.Throws<ArgumentException>(() => f.ReadInto("model.t1", Span<byte>.Empty));
    }

    [Fact]
    public void DisposedFileCannotBeRead()
    {
        var path = PathFor("disposed.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("w", SafeTensorDType.U8, [1], new byte[] { 1 })]);
        var f = SafeTensorsFile.Open(path);
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.ReadBytes("w"));
    }

    // ------------------------------------------------------------------ writer validation and atomicity

    [Fact]
    public void WriterValidatesInputs()
    {
        var path = PathFor("invalid.safetensors");
        void Fails(string phrase, IEnumerable<SafeTensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        {
            var ex = Assert.Throws<SafeTensorsException>(() => SafeTensorsWriter.Write(path, tensors, metadata));
            Assert.Contains("invalid.safetensors", ex.Message);
            Assert.Contains(phrase, ex.Message);
            Assert.False(File.Exists(path));
            Assert.Empty(TempFilesIn(_dir));
        }

        var ok = new SafeTensorToWrite("ok", SafeTensorDType.U8, [1], new byte[] { 1 });
        Fails("duplicate tensor name 'ok'", [ok, ok]);
        Fails("empty name", [ok with { Name = "" }]);
        Fails("'__metadata__' is reserved", [ok with { Name = "__metadata__" }]);
        Fails("not valid UTF-16", [ok with { Name = "bad\uD800" }]);
        Fails("byte count mismatch for tensor 'f'", [new SafeTensorToWrite("f", SafeTensorDType.F32, [2], new byte[7])]);
        Fails("byte count mismatch for tensor 's'", [new SafeTensorToWrite("s", SafeTensorDType.F32, [], new byte[0])]);
        Fails("negative dimension", [new SafeTensorToWrite("n", SafeTensorDType.U8, [-1], new byte[0])]);
        Fails("overflows 64 bits", [new SafeTensorToWrite("o", SafeTensorDType.U8, [1L << 32, 1L << 32], new byte[0])]);
        Fails("null shape", [ok with { Shape = null! }]);
        Fails("byte count mismatch for tensor 'cb'", [new SafeTensorToWrite("cb", SafeTensorDType.F32, [2], 4, _ => { })]);
        Fails("both Data and a WriteData callback", [new SafeTensorToWrite("cb", SafeTensorDType.U8, [1], 1, _ => { }) with { Data = new byte[1] }]);
        Fails("metadata value for key 'k' is null", [ok], new Dictionary<string, string> { ["k"] = null! });
    }

    [Fact]
    public void CallbackWritingTheWrongAmountFails()
    {
        var path = PathFor("count.safetensors");
        File.WriteAllText(path, "original");
        var more = Assert.Throws<SafeTensorsException>(() => SafeTensorsWriter.Write(path,
            [new SafeTensorToWrite("w", SafeTensorDType.U8, [4], 4, s => s.Write(new byte[5]))]));
        Assert.Contains("wrote more than its declared ByteLength 4", more.Message);
        var fewer = Assert.Throws<SafeTensorsException>(() => SafeTensorsWriter.Write(path,
            [new SafeTensorToWrite("w", SafeTensorDType.U8, [4], 4, s => s.Write(new byte[3]))]));
        Assert.Contains("wrote 3 bytes but declared ByteLength 4", fewer.Message);
        Assert.Equal("original", File.ReadAllText(path));
        Assert.Empty(TempFilesIn(_dir));
    }

    [Fact]
    public void FailingCallbackLeavesExistingFileUntouchedAndNoTempFile()
    {
        var path = PathFor("atomic.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("old", SafeTensorDType.F32, [2], Bytes(1f, 2f))]);
        var original = File.ReadAllBytes(path);

        var boom = new InvalidOperationException("boom");
        var thrown = Assert.Throws<InvalidOperationException>(() => SafeTensorsWriter.Write(path,
        [
            new SafeTensorToWrite("first", SafeTensorDType.U8, [3], new byte[] { 1, 2, 3 }),
            new SafeTensorToWrite("big", SafeTensorDType.F32, [1000], 4000, s =>
            {
                s.Write(new byte[1500]); // midway
                throw boom;
            }),
        ]));
        Assert.Same(boom, thrown);
        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Empty(TempFilesIn(_dir));
        using (var f = SafeTensorsFile.Open(path))
            Assert.Equal(["old"], f.Entries.Select(e => e.Name));

        // A failing write to a new path leaves nothing behind either.
        var fresh = PathFor("fresh.safetensors");
        Assert.Throws<InvalidOperationException>(() => SafeTensorsWriter.Write(fresh,
            [new SafeTensorToWrite("x", SafeTensorDType.U8, [1], 1, _ => throw boom)]));
        Assert.False(File.Exists(fresh));
        Assert.Empty(TempFilesIn(_dir));
    }

    [Fact]
    public void WriterReplacesExistingFileWhileAReaderHoldsTheOldOne()
    {
        var path = PathFor("replace.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("v", SafeTensorDType.I32, [1], Bytes(1))]);
        using var oldReader = SafeTensorsFile.Open(path);
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("v", SafeTensorDType.I32, [2], Bytes(2, 3))]);
        Assert.Equal([1], As<int>(oldReader.ReadBytes("v")));
        using var newReader = SafeTensorsFile.Open(path);
        Assert.Equal([2, 3], As<int>(newReader.ReadBytes("v")));
        Assert.Empty(TempFilesIn(_dir));
    }
}

/// <summary>
/// Interop with files produced by Python/torch (tests/.../python/make_safetensors.py, run with /usr/bin/python3).
/// A separate class so that xunit runs it in parallel with the other tests (importing torch dominates its time).
/// </summary>
public sealed class SafeTensorsPythonInteropTests : IDisposable
{
    private readonly string _dir;

    public SafeTensorsPythonInteropTests()
    {
        _dir = Path.Combine(Path.GetTempPath(), "st-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string PathFor(string name) => Path.Combine(_dir, name);

    private static byte[] Bytes<T>(params T[] values) where T : unmanaged => SafeTensorsFormatTests.Bytes(values);

    private static T[] As<T>(byte[] bytes) where T : unmanaged => SafeTensorsFormatTests.As<T>(bytes);

    private static ushort BF16(float f) => SafeTensorsFormatTests.BF16(f);


    /// <summary>The tensors make_safetensors.py writes, in its order.</summary>
    private static List<SafeTensorToWrite> PythonExpected()
    {
        var list = SafeTensorsFormatTests.SampleTensors();
        list.Add(new("model.layers.0.weight", SafeTensorDType.F32, [3, 2], Bytes(0f, 3f, 1f, 4f, 2f, 5f)));
        return list;
    }

    [Fact]
    public async Task InteropWithPythonTorchWrittenFiles()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "python", "make_safetensors.py");
        Assert.True(File.Exists(script), $"missing {script}");
        var ours = PathFor("csharp.safetensors");
        var theirs = PathFor("python.safetensors");
        var expected = PythonExpected();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["source"] = "python" };
        SafeTensorsWriter.Write(ours, expected, metadata);

        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, "--out", theirs, "--verify", ours })
            psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            var stdoutTask = p.StandardOutput.ReadToEndAsync();
            var stderrTask = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await p.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail("python3 make_safetensors.py timed out");
            }
            var stdout = await stdoutTask;
            var stderr = await stderrTask;
            Assert.True(p.ExitCode == 0, $"python3 make_safetensors.py failed ({p.ExitCode}):\n{stdout}\n{stderr}");
            Assert.Contains("OK", stdout);
        }

        using (var f = SafeTensorsFile.Open(theirs))
        {
            Assert.Equal(metadata.OrderBy(kv => kv.Key), f.Metadata.OrderBy(kv => kv.Key));
            Assert.Equal(expected.Select(t => t.Name), f.Entries.Select(e => e.Name));
            foreach (var t in expected)
            {
                var e = f[t.Name];
                Assert.Equal(t.DType, e.DType);
                Assert.Equal(t.Shape, e.Shape);
                Assert.Equal(t.Data.ToArray(), f.ReadBytes(t.Name));
            }
            Assert.Equal([-1f, -0.5f, 0f, 0.5f, 1f, 1.5f], As<float>(f.ReadBytes("f32")));
            Assert.Equal([BF16(-1), BF16(0), BF16(1), BF16(2)], As<ushort>(f.ReadBytes("bf16")));
            Assert.Equal([-(1L << 62), 7L], As<long>(f.ReadBytes("i64")));
            Assert.Equal(3.25f, As<float>(f.ReadBytes("scalar")).Single());
            Assert.Equal([0L, 4L], f["empty"].Shape);
        }

        // Same tensors, same layout conventions: the files must be byte-identical.
        Assert.Equal(File.ReadAllBytes(theirs), File.ReadAllBytes(ours));
    }
}

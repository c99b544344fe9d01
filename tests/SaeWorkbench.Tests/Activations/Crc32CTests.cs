using SaeWorkbench.Activations;
namespace SaeWorkbench.Tests.Activations;

/// <summary>CRC-32C against the published check value and the iSCSI test vectors (RFC 3720 appendix B.4), in both the
/// hardware and the table form, whole and in pieces.</summary>
public sealed class Crc32CTests
{
    public static TheoryData<byte[], uint> Vectors() => new()
    {
        { "123456789"u8.ToArray(), 0xE3069283u },                                   // the CRC catalogue's check value
        { new byte[32], 0x8A9136AAu },                                               // RFC 3720 B.4: 32 bytes of zeros
        { Enumerable.Repeat((byte)0xFF, 32).ToArray(), 0x62A8AB43u },                // 32 bytes of ones
        { Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 0x46DD794Eu },     // incrementing
        { Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(), 0x113FDB5Cu }, // decrementing
        { [], 0u },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void MatchesTheStandardVectors(byte[] data, uint expected)
    {
        Assert.Equal(expected, Crc32C.Append(0, data));
        Assert.Equal(expected, Crc32C.AppendPortable(0, data));
        // In pieces of every split point: the running value composes.
        for (var cut = 0; cut <= data.Length; cut++)
            Assert.Equal(expected, Crc32C.Append(Crc32C.Append(0, data.AsSpan(0, cut)), data.AsSpan(cut)));
    }

    [Fact]
    public void HardwareAndTableFormsAgreeOnRandomDataAndFiles()
    {
        var rng = new Random(3);
        var data = new byte[(1 << 20) + 13];
        rng.NextBytes(data);
        Assert.Equal(Crc32C.AppendPortable(0, data), Crc32C.Append(0, data));
        var path = Path.Combine(Path.GetTempPath(), $"saewb-crc-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(path, data);
            Assert.Equal(Crc32C.AppendPortable(0, data).ToString("x8"), Crc32C.OfFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

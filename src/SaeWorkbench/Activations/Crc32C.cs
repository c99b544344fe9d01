using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SaeWorkbench.Activations;

/// <summary>
/// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78; the checksum of iSCSI and ext4 metadata, RFC 3720),
/// used for shard checksums. It catches truncation, torn writes and bit flips (every burst of up to 32 bits),
/// which is what a shard checksum is for; it is not a defence against deliberate tampering. The CPU's CRC32C instruction
/// (SSE4.2 on x86, the CRC extension on ARM64) makes it a few GB/s, so verifying a shard costs far less than reading it;
/// other CPUs use a table. System.IO.Hashing (xxHash, CRC-32) is not in this machine's package source.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            t[i] = c;
        }
        return t;
    }

    /// <summary>The CRC-32C of <paramref name="previous"/>'s data followed by <paramref name="data"/>
    /// (<paramref name="previous"/> = 0 for the start). Crc32C.Append(0, "123456789"u8) is 0xE3069283.</summary>
    public static uint Append(uint previous, ReadOnlySpan<byte> data) => ~Update(~previous, data);

    private static uint Update(uint c, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong c64 = c;
            while (data.Length >= 8)
            {
                c64 = Sse42.X64.Crc32(c64, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            c = (uint)c64;
            foreach (var b in data) c = Sse42.Crc32(c, b);
            return c;
        }
        if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                c = Crc32.Arm64.ComputeCrc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            foreach (var b in data) c = Crc32.ComputeCrc32C(c, b);
            return c;
        }
        return UpdateTable(c, data);
    }

    /// <summary>The table-driven form that CPUs without a CRC32C instruction use; public so that both forms can be checked
    /// against each other.</summary>
    public static uint AppendPortable(uint previous, ReadOnlySpan<byte> data) => ~UpdateTable(~previous, data);

    private static uint UpdateTable(uint c, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c;
    }

    /// <summary>The CRC-32C of a whole file, as 8 lowercase hex digits.</summary>
    public static string OfFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        uint crc = 0;
        int n;
        while ((n = fs.Read(buffer)) > 0) crc = Append(crc, buffer.AsSpan(0, n));
        return crc.ToString("x8");
    }
}

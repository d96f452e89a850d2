// alloc MB: allocates and touches MB mebibytes, then prints "allocated MB".
switch (args)
{
    case ["alloc", var size]:
        var mebibytes = int.Parse(size);
        var blocks = new List<byte[]>();
        try
        {
            for (var i = 0; i < mebibytes; i++)
            {
                var block = new byte[1 << 20];
                Array.Fill(block, (byte)i);
                blocks.Add(block);
            }
            Console.WriteLine($"allocated {blocks.Count}");
            return 0;
        }
        catch (OutOfMemoryException)
        {
            Console.WriteLine($"out of memory after {blocks.Count}");
            return 3;
        }
    default:
        Console.Error.WriteLine("usage: alloc MB");
        return 2;
}

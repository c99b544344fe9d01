Console.WriteLine("sae");

using System.CommandLine;
using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Cli;

/// <summary><c>sandlock profile list</c> and <c>sandlock profile show NAME</c>.</summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the named profiles");
        list.SetAction(_ =>
        {
            var store = new ProfileStore();
            var names = store.List().ToList();
            if (names.Count == 0) Console.Error.WriteLine($"no profiles in {DisplayText.OneLine(store.Directory)}");
            foreach (var name in names) Console.WriteLine(name);
            return 0;
        });

        var nameArgument = new Argument<string>("name") { Description = "Profile name" };
        var show = new Command("show", "Print a profile") { nameArgument };
        show.SetAction(parsed =>
        {
            var name = parsed.GetValue(nameArgument)!;
            try
            {
                // What was checked is what is shown: the file is read once.
                Console.Write(new ProfileStore().Load(name).Text);
                return 0;
            }
            catch (PolicyException e)
            {
                return ExitCodes.Fail(e.Message);
            }
        });

        return new Command("profile", "Manage named policy profiles") { list, show };
    }
}

using System.Text;
using System.Text.RegularExpressions;

namespace Ar1Star.Tests.Docs;

/// <summary>
/// The code, the tests, the tools and the pages cite the docs by page and anchor
/// (docs/algorithm.md#cwr-star); these keep every such citation resolvable, so a renamed heading
/// or a moved page fails here rather than leaving a dead reference behind.
/// </summary>
public partial class DocsAnchorTests
{
    private static readonly string[] ScannedFolders = ["src", "tests", "tools", "docs"];
    private static readonly HashSet<string> TextExtensions =
        [".cs", ".md", ".py", ".cfg", ".sh", ".js", ".html", ".css", ".csproj", ".props", ".targets", ".yml", ".json", ".txt"];

    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Ar1Star.sln"))) return dir.FullName;
            throw new InvalidOperationException("repository root (Ar1Star.sln) not found above the test binaries");
        }
    }

    [Theory]
    [InlineData("Hyper-parameters", "hyper-parameters")]
    [InlineData("Data, preprocessing, evaluation", "data-preprocessing-evaluation")]
    [InlineData("CWR*: what the reference computes, and what the paper says", "cwr-what-the-reference-computes-and-what-the-paper-says")]
    [InlineData("`ar1 run`", "ar1-run")]
    [InlineData("Trace result (CPU: AMD EPYC, 2 shared cores; Debian PyTorch 1.13 for the reference)",
        "trace-result-cpu-amd-epyc-2-shared-cores-debian-pytorch-113-for-the-reference")]
    [InlineData("The [JSON API](server.md) and snake_case", "the-json-api-and-snake_case")]
    public void SlugsFollowGitHubsRule(string heading, string slug) => Assert.Equal(slug, Slug(heading));

    [Fact]
    public void AnchorsCollectHeadingsExplicitIdsAndDuplicateSuffixesButNotCodeBlocks()
    {
        string page = "# Title\n\n<a id=\"kept\"></a>\n## Same\n\n```bash\n# not a heading\n```\n\n## Same\n";
        var anchors = Anchors(page);
        Assert.Equal(["kept", "same", "same-1", "title"], anchors.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryCitedDocsAnchorExists()
    {
        var pages = new Dictionary<string, HashSet<string>?>(StringComparer.Ordinal);
        var broken = new List<string>();
        int checkedCount = 0;
        foreach (var (file, text) in ScannedFiles())
        {
            string relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
            foreach (var (page, anchor, line) in Citations(relative, text))
            {
                checkedCount++;
                if (!pages.TryGetValue(page, out var anchors))
                {
                    string path = Path.Combine(Root, page);
                    anchors = File.Exists(path) ? Anchors(File.ReadAllText(path)) : null;
                    pages[page] = anchors;
                }
                if (anchors is null) broken.Add($"{relative}:{line}: {page}#{anchor}: no such page");
                else if (!anchors.Contains(anchor)) broken.Add($"{relative}:{line}: {page}#{anchor}: no such heading or <a id>");
            }
        }
        Assert.True(broken.Count == 0, "dead docs anchors:\n" + string.Join('\n', broken));
        // The code cites the algorithm's rules; finding none would mean the scan itself is broken.
        Assert.True(checkedCount > 50, $"only {checkedCount} docs anchors found: is the scan looking in the right place?");
    }

    [Fact]
    public void EveryRelativeLinkOfTheDocsPagesPointsAtAFile()
    {
        var broken = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            foreach (Match m in LinkTarget().Matches(text))
            {
                string target = m.Groups[1].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith('#') || target.StartsWith("mailto:", StringComparison.Ordinal))
                    continue;
                string path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target.Split('#')[0]));
                if (!File.Exists(path) && !Directory.Exists(path))
                    broken.Add($"{Path.GetRelativePath(Root, file)}:{LineOf(text, m.Index)}: {target}");
            }
        }
        Assert.True(broken.Count == 0, "links to missing files:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void NoSpecNumberCitationIsLeft()
    {
        var left = new List<string>();
        foreach (var (file, text) in ScannedFiles())
        {
            string relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
            if (relative.StartsWith("docs/", StringComparison.Ordinal)) continue;
            foreach (Match m in SpecCitation().Matches(text))
                left.Add($"{relative}:{LineOf(text, m.Index)}: {m.Value}");
        }
        Assert.True(left.Count == 0, "cite docs/algorithm.md#<rule> instead of:\n" + string.Join('\n', left));
    }

    /// <summary>GitHub's heading slug: lower case, markdown links reduced to their text, every
    /// character but letters, digits, spaces, '-' and '_' dropped, spaces turned into '-'.</summary>
    private static string Slug(string heading)
    {
        string text = MarkdownLink().Replace(heading.Trim(), "$1").ToLowerInvariant();
        var slug = new StringBuilder();
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
            else if (c == ' ') slug.Append('-');
        }
        return slug.ToString();
    }

    /// <summary>Every anchor a page offers: its headings' slugs (a repeated one gets -1, -2, ...)
    /// and its explicit <c>&lt;a id="..."&gt;</c> and <c>&lt;a name="..."&gt;</c>, outside fenced code.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        bool inFence = false;
        foreach (string raw in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            string line = raw.TrimStart();
            if (line.StartsWith("```", StringComparison.Ordinal) || line.StartsWith("~~~", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }
            if (inFence) continue;
            foreach (Match m in ExplicitAnchor().Matches(line)) anchors.Add(m.Groups[1].Value);
            var heading = Heading().Match(line);
            if (!heading.Success) continue;
            string slug = Slug(heading.Groups[1].Value);
            int n = seen.GetValueOrDefault(slug);
            seen[slug] = n + 1;
            anchors.Add(n == 0 ? slug : $"{slug}-{n}");
        }
        return anchors;
    }

    /// <summary>(page relative to the root, anchor, line) of every citation in a file: docs/&lt;page&gt;.md#&lt;anchor&gt;
    /// anywhere, and in markdown also relative links to a page and anchor, or an anchor alone, resolved from the file.</summary>
    private static IEnumerable<(string Page, string Anchor, int Line)> Citations(string relative, string text)
    {
        foreach (Match m in DocsCitation().Matches(text))
            yield return ("docs/" + m.Groups[1].Value + ".md", m.Groups[2].Value, LineOf(text, m.Index));
        if (!relative.EndsWith(".md", StringComparison.Ordinal)) yield break;
        string folder = Path.GetDirectoryName(relative)?.Replace('\\', '/') ?? "";
        foreach (Match m in RelativeLink().Matches(text))
        {
            string target = m.Groups[1].Value;
            if (target.StartsWith("docs/", StringComparison.Ordinal) && folder.Length == 0) continue; // counted above
            string page = target.Length == 0 ? relative : Normalise(folder.Length == 0 ? target : folder + "/" + target);
            yield return (page, m.Groups[2].Value, LineOf(text, m.Index));
        }
    }

    private static string Normalise(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else if (part is not ("." or "")) parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static IEnumerable<(string File, string Text)> ScannedFiles()
    {
        yield return (Path.Combine(Root, "README.md"), File.ReadAllText(Path.Combine(Root, "README.md")));
        foreach (string folder in ScannedFolders)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(Root, folder), "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
                if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal)) continue;
                if (!TextExtensions.Contains(Path.GetExtension(file)) || new FileInfo(file).Length > 1 << 20) continue;
                yield return (file, File.ReadAllText(file));
            }
        }
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    [GeneratedRegex(@"(?<![A-Za-z0-9_./-])docs/([A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*)\.md#([A-Za-z0-9_-]+)")]
    private static partial Regex DocsCitation();

    [GeneratedRegex(@"\]\(((?:[A-Za-z0-9_.-]+/)*(?:[A-Za-z0-9_-]+\.md)|)#([A-Za-z0-9_-]+)\)")]
    private static partial Regex RelativeLink();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex LinkTarget();

    [GeneratedRegex(@"<a\s+(?:id|name)=""([^""]+)""")]
    private static partial Regex ExplicitAnchor();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"\bSPEC\s+(?:section\s+)?\d")]
    private static partial Regex SpecCitation();
}

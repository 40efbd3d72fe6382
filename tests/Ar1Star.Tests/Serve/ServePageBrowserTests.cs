using Ar1Star.Data.Core50;
using Ar1Star.Learner;
using Ar1Star.Serve;
using Ar1Star.Weights;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit.Abstractions;
using Ar1Star.Data.Twin;

namespace Ar1Star.Tests.Serve;

/// <summary>
/// The page in a real browser: Debian's headless Chromium through /usr/bin/chromedriver, its
/// fake camera playing a video this test writes. The page opens while the learner is getting
/// ready (held on a gate) and must say so, with teaching off, until it is; then two synthetic
/// objects are taught through the page's own buttons, and the page must show the right top-1 for each.
/// </summary>
public class ServePageBrowserTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    /// <summary>
    /// The built-in pretraining's features (64x64, latent layer 19; computed once and cached,
    /// about a minute) with the built-in benchmark's profile, whose learning rate suits them.
    /// </summary>
    private static LearnerOptions Options => new()
    {
        Config = BuiltinBenchmark.Profile with { UseCuda = false },
        Weights = InitialWeights.Builtin,
        ImageSize = 64,
    };

    /// <summary>Object A: a red disc on grey; B: a box of yellow and blue stripes on grey. Both sway a little.</summary>
    private static (byte, byte, byte) DiscScene(int x, int y, int f)
    {
        int cx = 64 + (f % 10 - 5), cy = 64;
        return (x - cx) * (x - cx) + (y - cy) * (y - cy) < 34 * 34 ? ((byte)210, (byte)40, (byte)40) : ((byte)128, (byte)128, (byte)128);
    }

    private static (byte, byte, byte) StripeScene(int x, int y, int f)
    {
        int shift = f % 10 - 5;
        bool inBox = Math.Abs(x - 64 - shift) < 32 && Math.Abs(y - 64) < 32;
        if (!inBox) return (128, 128, 128);
        return (y / 8 % 2 == 0) ? ((byte)230, (byte)210, (byte)30) : ((byte)30, (byte)60, (byte)200);
    }

    [ChromiumFact]
    public async Task TeachingTwoObjectsThroughThePageMakesItShowTheRightTopOneForEach()
    {
        string work = Path.Combine(Path.GetTempPath(), $"ar1-browser-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            string disc = Path.Combine(work, "disc.y4m"), stripes = Path.Combine(work, "stripes.y4m");
            FakeCameraVideo.Write(disc, 128, 20, DiscScene);
            FakeCameraVideo.Write(stripes, 128, 20, StripeScene);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var host = LearnerHost.Open(Options, Path.Combine(work, "state"), output.WriteLine, say =>
            {
                gate.Task.GetAwaiter().GetResult();
                return ContinualLearner.Create(Options, say);
            });
            await using var server = await ServeTestServer.StartPreparingAsync(host);
            output.WriteLine($"serving {server.Server.Url}");

            // One browser per object: the fake camera shows one video for the browser's life.
            using (var browser = Open(disc, server.Server.Url))
            {
                AssertGettingReadyUntilReleased(browser, gate);
                Teach(browser, 0, "red disc");
                AssertTopOne(browser, 0, "red disc");
            }
            using (var browser = Open(stripes, server.Server.Url))
            {
                Teach(browser, 1, "striped box");
                AssertTopOne(browser, 1, "striped box");
                if (Environment.GetEnvironmentVariable("AR1STAR_SCREENSHOT") is { Length: > 0 } shot)
                    ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(shot);
            }
            using (var browser = Open(disc, server.Server.Url))
                AssertTopOne(browser, 0, "red disc");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private ChromeDriver Open(string video, Uri url)
    {
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1000",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", $"--use-file-for-fake-video-capture={video}");
        // The driver is named outright, so Selenium Manager never looks for (or downloads) one.
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        var browser = new ChromeDriver(service, options, TimeSpan.FromMinutes(3));
        browser.Navigate().GoToUrl(url);
        return browser;
    }

    /// <summary>The banner says the learner is getting ready, and what it does, with teaching and predicting off; it goes once the learner is.</summary>
    private void AssertGettingReadyUntilReleased(ChromeDriver browser, TaskCompletionSource gate)
    {
        string text = Wait(browser, TimeSpan.FromMinutes(1)).Until(b =>
        {
            var banner = b.FindElement(By.Id("preparing"));
            return banner.Displayed && banner.Text.Contains("building the learner") ? banner.Text : null;
        })!;
        output.WriteLine($"banner: {text.Replace('\n', ' ')}");
        Assert.Contains("The learner is getting ready", text);
        Assert.Empty(browser.FindElements(By.CssSelector("button.teach")));
        Assert.False(browser.FindElement(By.Id("predict-file")).Enabled);
        Assert.False(browser.FindElement(By.Id("reset")).Enabled);

        gate.SetResult();
        // The built-in pretraining runs now if it is not cached (about a minute at 64x64).
        Wait(browser, TimeSpan.FromMinutes(10)).Until(b => !b.FindElement(By.Id("preparing")).Displayed);
        Assert.True(browser.FindElement(By.Id("reset")).Enabled);
    }

    private void Teach(ChromeDriver browser, int slot, string name)
    {
        var teach = Wait(browser, TimeSpan.FromMinutes(1)).Until(b =>
        {
            var button = b.FindElement(By.Id($"teach-{slot}"));
            return button.Enabled ? button : null; // enabled once the camera delivers frames
        });
        var field = browser.FindElement(By.Id($"name-{slot}"));
        field.Clear();
        field.SendKeys(name + Keys.Enter);
        Wait(browser, TimeSpan.FromSeconds(30)).Until(b => b.FindElement(By.Id("message")).Text.Contains(name));
        teach.Click();
        string message = Wait(browser, TimeSpan.FromMinutes(4)).Until(b =>
        {
            string text = b.FindElement(By.Id("message")).Text;
            return text.StartsWith("Learnt", StringComparison.Ordinal) || text.Contains("failed") ? text : null;
        })!;
        output.WriteLine(message);
        Assert.StartsWith($"Learnt 100 images of \"{name}\"", message);
    }

    /// <summary>The live top-1 must be the class on three successive answers.</summary>
    private void AssertTopOne(ChromeDriver browser, int slot, string name)
    {
        const string read = """
            const list = document.getElementById('predictions');
            const first = list.querySelector('li');
            return first ? [list.dataset.updates, first.dataset.class, first.querySelector('.name').textContent, first.innerText] : null;
            """;
        int streak = 0;
        string last = "", seen = "";
        Wait(browser, TimeSpan.FromMinutes(2)).Until(b =>
        {
            // One script reads the list at once: the page replaces its items several times a second.
            if (((IJavaScriptExecutor)b).ExecuteScript(read) is not IReadOnlyCollection<object> answer) return false;
            var fields = answer.Select(o => o?.ToString() ?? "").ToArray();
            if (fields[0] == last) return false; // wait for the next answer
            last = fields[0];
            seen = $"{fields[2]} ({fields[3].Replace('\n', ' ')})";
            streak = fields[1] == slot.ToString() && fields[2] == name ? streak + 1 : 0;
            return streak >= 3;
        });
        output.WriteLine($"top-1 for slot {slot} at answer {last}: {seen}");
    }

    private static WebDriverWait Wait(IWebDriver browser, TimeSpan timeout) =>
        new(browser, timeout) { PollingInterval = TimeSpan.FromMilliseconds(150) };
}

/// <summary>A fact that needs Debian's chromium and chromium-driver (.ci/run installs them), skipped saying so where absent.</summary>
internal sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists("/usr/bin/chromium") || !File.Exists("/usr/bin/chromedriver"))
            Skip = "needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver; .ci/run installs them)";
    }
}

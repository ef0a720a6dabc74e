// What g++ and clang++ compile in the compatibility matrix
// (tests/integration/compat_build.sh): <regex> is among the heaviest
// standard headers to instantiate.  The compiled program's output is what
// the rows compare.
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <vector>

int main()
{
    const std::string text =
        "alice=42, bob=7, carol=1999; dave=3 erin=65536 frank=12";
    const std::regex pair(R"((\w+)=(\d+))");
    std::map<std::string, long> values;
    for (std::sregex_iterator it(text.begin(), text.end(), pair), end; it != end; ++it)
        values[(*it)[1]] = std::stol((*it)[2]);
    for (const auto &[name, v] : values)
        std::cout << name << " " << v << "\n";
    std::vector<std::string> words{"x1y2", "abc", "9z9", "q"};
    const std::regex digits(R"(\d)");
    for (const auto &w : words)
        std::cout << w << " -> " << std::regex_replace(w, digits, "#") << "\n";
    return 0;
}

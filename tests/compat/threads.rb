# Ruby for the compatibility matrix (tests/integration/compat_scripts.sh):
# 4 threads (native threads; Ruby asks each for its stack bounds) build
# hashes, arrays and strings.  Prints the same lines every run.
results = Array.new(4)
threads = (0...4).map do |id|
  Thread.new(id) do |n|
    sum = 0
    30.times do |r|
      h = Hash.new { |hh, k| hh[k] = [] }
      5000.times { |i| h["k#{n}-#{(i * 31) % 997}"] << i }
      s = h.map { |k, v| "#{k}=#{v.size}" }.sort.join(";")
      big = "x" * (64 * 1024 + r * 512)
      sum = (sum * 31 + s.size + h.size + big.size + n) % 1_000_000_007
    end
    results[n] = sum
  end
end
threads.each(&:join)
results.each_with_index { |v, i| puts "thread #{i}: #{v}" }
puts "ruby done"

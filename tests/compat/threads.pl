# Perl for the compatibility matrix (tests/integration/compat_scripts.sh):
# hashes, sorting and string building, in the main interpreter and in
# 2 ithreads when this perl has them.  Prints the same lines every run.
use strict;
use warnings;
use Config;

sub work {
    my ($id) = @_;
    my %h;
    $h{"k$id-" . ($_ * 31 % 997)} .= "$_," for 1 .. 200000;
    my @k = sort keys %h;
    my $s = join ";", map { "$_=" . length $h{$_} } @k;
    return scalar(@k) . " " . length($s);
}

my @out = (work(0));
if ($Config{useithreads}) {
    require threads;
    my @t = map { threads->create(\&work, $_) } 1 .. 2;
    push @out, $_->join for @t;
} else {
    push @out, work($_) for 1 .. 2;
}
print "perl $_: $out[$_]\n" for 0 .. $#out;

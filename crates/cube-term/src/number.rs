//! Lua numbers as terms.
//!
//! Lua 5.2 has one number type, the `f64`; Erlang has integers and floats. A number
//! becomes an integer exactly when that loses nothing on the way back: the value is
//! integral, fits an `i64` and is not `-0.0` (an integer has no negative zero, and
//! `1/-0` must still be `-inf` after a round trip). Everything else — fractions, `-0.0`,
//! infinities, NaN (every NaN payload kept), magnitudes of 2^63 and beyond — stays a
//! float. Going back, an `i64` becomes the `f64` it came from; integers from Erlang
//! beyond 2^53 round to the nearest double, the best Lua 5.2 can do.

use crate::term::Term;

/// 2^63 as a double: the first integral value that no longer fits an `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// The term for a Lua number.
#[inline]
pub fn number_to_term(n: f64) -> Term {
    if n.fract() == 0.0
        && (-TWO_POW_63..TWO_POW_63).contains(&n)
        && !(n == 0.0 && n.is_sign_negative())
    {
        Term::Int(n as i64)
    } else {
        Term::Float(n)
    }
}

/// The Lua number for an integer term.
#[inline]
pub fn int_to_number(i: i64) -> f64 {
    i as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(n: f64) -> f64 {
        match number_to_term(n) {
            Term::Int(i) => int_to_number(i),
            Term::Float(f) => f,
            other => panic!("not a number term: {other:?}"),
        }
    }

    #[test]
    fn integral_values_become_integers() {
        assert_eq!(number_to_term(0.0), Term::Int(0));
        assert_eq!(number_to_term(-7.0), Term::Int(-7));
        assert_eq!(number_to_term(9007199254740992.0), Term::Int(1 << 53));
        assert_eq!(number_to_term(-TWO_POW_63), Term::Int(i64::MIN));
    }

    #[test]
    fn everything_else_stays_a_float() {
        for n in [
            0.5,
            -0.0,
            1e300,
            TWO_POW_63,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert!(
                matches!(number_to_term(n), Term::Float(f) if f.to_bits() == n.to_bits()),
                "{n}"
            );
        }
        assert!(matches!(number_to_term(f64::NAN), Term::Float(f) if f.is_nan()));
    }

    #[test]
    fn every_number_round_trips_bit_for_bit() {
        let cases = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e300,
            -1e300,
            1e-300,
            5e-324,
            2f64.powi(53),
            2f64.powi(53) + 2.0,
            2f64.powi(62),
            2f64.powi(63),
            -2f64.powi(63),
            2f64.powi(64),
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::from_bits(0x7ff8_0000_dead_beef),
        ];
        for n in cases {
            assert_eq!(round_trip(n).to_bits(), n.to_bits(), "{n}");
        }
    }
}

//! Reads a struct's field names from its `Deserialize` impl: serde hands them to
//! `deserialize_struct`, and this deserializer only records them (the example-file test checks
//! that `sesame.example.toml` documents every key).

use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::cell::Cell;

type Fields = Option<&'static [&'static str]>;

struct Probe<'a>(&'a Cell<Fields>);

#[derive(Debug)]
struct Stop;
impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}
impl std::error::Error for Stop {}
impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Stop;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.set(Some(fields));
        Err(Stop)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

pub fn of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let fields = Cell::new(None);
    let _ = T::deserialize(Probe(&fields));
    fields.get().unwrap_or(&[])
}

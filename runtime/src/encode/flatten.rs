//! Turning any `Serialize` value into `name=value` string pairs: the `repeatList`/`flat` flattening
//! (1-based list indices, nested keys joined with `.`, nulls dropped) and the joined styles' scalars.

use serde::ser::{self, Serialize};

use super::EncodeError;

/// Flattens `value` under `prefix` into `out` (`prefix.1`, `prefix.key`, …; just `prefix` for a scalar).
pub(crate) fn flatten<T: Serialize + ?Sized>(
    prefix: &str,
    value: &T,
    out: &mut Vec<(String, String)>,
) -> Result<(), EncodeError> {
    value.serialize(Flattener { prefix: prefix.to_owned(), out })
}

/// Serializes a scalar to its parameter text, or fails for lists and objects.
pub(crate) fn scalar_text<T: Serialize + ?Sized>(value: &T) -> Result<Option<String>, EncodeError> {
    let mut out = Vec::with_capacity(1);
    value.serialize(Flattener { prefix: String::new(), out: &mut out })?;
    match out.len() {
        0 => Ok(None),
        1 if out[0].0.is_empty() => Ok(out.pop().map(|(_, v)| v)),
        _ => Err(EncodeError::new("a list or object where a scalar was expected")),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

/// Formats a float the way the official SDKs' string conversion does: `2.5`, `1.0`.
fn float_text(v: f64) -> String {
    format!("{v:?}")
}

struct Flattener<'a> {
    prefix: String,
    out: &'a mut Vec<(String, String)>,
}

impl Flattener<'_> {
    fn scalar(self, text: String) -> Result<(), EncodeError> {
        self.out.push((self.prefix, text));
        Ok(())
    }
}

impl<'a> ser::Serializer for Flattener<'a> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = SeqFlattener<'a>;
    type SerializeTuple = SeqFlattener<'a>;
    type SerializeTupleStruct = SeqFlattener<'a>;
    type SerializeTupleVariant = ser::Impossible<(), EncodeError>;
    type SerializeMap = MapFlattener<'a>;
    type SerializeStruct = MapFlattener<'a>;
    type SerializeStructVariant = ser::Impossible<(), EncodeError>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.scalar(if v { "true" } else { "false" }.to_owned())
    }
    fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        self.scalar(float_text(f64::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        self.scalar(float_text(v))
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.scalar(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.scalar(v.to_owned())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), EncodeError> {
        Err(EncodeError::new("raw bytes cannot be sent as a parameter"))
    }
    fn serialize_none(self) -> Result<(), EncodeError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.scalar(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        let prefix = join(&self.prefix, variant);
        value.serialize(Flattener { prefix, out: self.out })
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<SeqFlattener<'a>, EncodeError> {
        Ok(SeqFlattener { prefix: self.prefix, out: self.out, index: 0 })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqFlattener<'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqFlattener<'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(EncodeError::new(format!("enum {name} with tuple variants cannot be flattened")))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapFlattener<'a>, EncodeError> {
        Ok(MapFlattener { prefix: self.prefix, out: self.out, key: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapFlattener<'a>, EncodeError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(EncodeError::new(format!("enum {name} with struct variants cannot be flattened")))
    }
}

struct SeqFlattener<'a> {
    prefix: String,
    out: &'a mut Vec<(String, String)>,
    index: usize,
}

impl SeqFlattener<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.index += 1;
        let prefix = join(&self.prefix, &self.index.to_string());
        value.serialize(Flattener { prefix, out: self.out })
    }
}

impl ser::SerializeSeq for SeqFlattener<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.element(value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl ser::SerializeTuple for SeqFlattener<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.element(value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for SeqFlattener<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.element(value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

struct MapFlattener<'a> {
    prefix: String,
    out: &'a mut Vec<(String, String)>,
    key: Option<String>,
}

impl ser::SerializeMap for MapFlattener<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        let key = scalar_text(key)?.ok_or_else(|| EncodeError::new("a map key is null"))?;
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        let key = self.key.take().ok_or_else(|| EncodeError::new("a map value without a key"))?;
        let prefix = join(&self.prefix, &key);
        value.serialize(Flattener { prefix, out: self.out })
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl ser::SerializeStruct for MapFlattener<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), EncodeError> {
        let prefix = join(&self.prefix, key);
        value.serialize(Flattener { prefix, out: self.out })
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

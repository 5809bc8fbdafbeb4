//! DCOM activation requests (MS-DCOM 3.1.2.5.2): which COM class a client asks another machine
//! to create. Read from the clear-text stub of `IRemoteSCMActivator::RemoteGetClassObject`
//! (opnum 3) and `RemoteCreateInstance` (opnum 4), where the class is in the
//! `InstantiationInfoData` activation property, and of the older
//! `IActivation::RemoteActivation` (opnum 0), where it is the first parameter after `ORPCTHIS`.
//!
//! Layout of the activation properties (MS-DCOM 2.2.22): the `OBJREF` ("MEOW") with flag
//! `OBJREF_CUSTOM` carries an `ActivationPropertiesBlob`: total size, reserved, then the
//! `CustomHeader` (type-serialised: 8-byte common and 8-byte private header) listing the
//! property structures by GUID and size; the structures follow the header in that order, each
//! with its own 16 bytes of serialisation headers. Every offset is checked against the stub:
//! a short or inconsistent blob gives `None`, never a panic.

use super::rpc_ifaces::Uuid;

/// `OBJREF` signature, "MEOW" little-endian.
const OBJREF_SIGNATURE: [u8; 4] = *b"MEOW";
const OBJREF_CUSTOM: u32 = 4;
/// GUID of the `InstantiationInfoData` property structure, wire (little-endian) bytes of
/// 000001ab-0000-0000-c000-000000000046.
const INSTANTIATION_INFO: [u8; 16] = [0xab, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46];
/// Property structures an activation carries (six in practice; MS-DCOM defines eight).
const MAX_PROPERTIES: usize = 32;
/// Size of `ORPCTHIS` without extensions: version, flags, reserved, causality id, extensions
/// pointer.
const ORPCTHIS_LEN: usize = 32;

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn uuid_at(b: &[u8], at: usize) -> Option<Uuid> {
    let s: &[u8; 16] = b.get(at..at.checked_add(16)?)?.try_into().ok()?;
    Some(Uuid::from_wire(s, true))
}

/// The class an activation request creates, from the request stub (after the PDU header).
/// `interface` and `opnum` say which activation call it is; other calls give `None`.
pub fn activated_class(interface: &str, opnum: u16, stub: &[u8]) -> Option<Uuid> {
    match (interface, opnum) {
        ("iremotescmactivator", 3 | 4) => instantiated_class(stub),
        ("iactivation", 0) => {
            // ORPCTHIS with a NULL extensions pointer, then the CLSID by value.
            if u32_at(stub, ORPCTHIS_LEN - 4)? != 0 {
                return None;
            }
            uuid_at(stub, ORPCTHIS_LEN)
        }
        _ => None,
    }
}

/// The `InstantiatedObjectClsId` of the activation properties in `stub`.
fn instantiated_class(stub: &[u8]) -> Option<Uuid> {
    // The OBJREF follows ORPCTHIS and one or two pointers and a conformant-array count; its
    // signature is searched for within the first bytes rather than every layout spelt out.
    let window = stub.get(..stub.len().min(128))?;
    let meow = window.windows(4).position(|w| w == OBJREF_SIGNATURE)?;
    if u32_at(stub, meow + 4)? != OBJREF_CUSTOM {
        return None;
    }
    // signature 4, flags 4, iid 16, clsid 16, cbExtension 4, size 4, then the blob: total
    // size 4, reserved 4, then the CustomHeader.
    let header = meow + 56;
    let common = stub.get(header..header + 8)?;
    if common[0] != 1 || common[1] != 0x10 {
        return None; // version 1, little-endian: the only encoding Windows sends
    }
    let header_size = u32_at(stub, header + 20)? as usize;
    let count = u32_at(stub, header + 32)? as usize;
    if count == 0 || count > MAX_PROPERTIES {
        return None;
    }
    // The deferred arrays: GUIDs (max count, then `count` GUIDs), then sizes.
    let guids = header + 68;
    if u32_at(stub, header + 64)? as usize != count {
        return None;
    }
    let sizes = guids + 16 * count;
    if u32_at(stub, sizes)? as usize != count {
        return None;
    }
    let mut at = header.checked_add(header_size)?;
    for i in 0..count {
        let guid = stub.get(guids + 16 * i..guids + 16 * (i + 1))?;
        let size = u32_at(stub, sizes + 4 + 4 * i)? as usize;
        if guid == INSTANTIATION_INFO {
            // Common and private serialisation headers, then the class id.
            return uuid_at(stub, at.checked_add(16)?);
        }
        at = at.checked_add(size)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An activation stub as Windows builds it for `RemoteGetClassObject`: ORPCTHIS, the
    /// interface pointer's referent and count, then the OBJREF with the properties blob.
    fn activation(class: [u8; 16], props: &[([u8; 16], usize)]) -> Vec<u8> {
        let mut s = vec![5, 0, 7, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        s.extend_from_slice(&[0x11; 16]); // causality id
        s.extend_from_slice(&0u32.to_le_bytes()); // no extensions
        s.extend_from_slice(&0x0002_0000u32.to_le_bytes()); // referent
        s.extend_from_slice(&744u32.to_le_bytes()); // ulCntData
        s.extend_from_slice(&744u32.to_le_bytes()); // conformant count
        s.extend_from_slice(&OBJREF_SIGNATURE);
        s.extend_from_slice(&OBJREF_CUSTOM.to_le_bytes());
        s.extend_from_slice(&[0x22; 16]); // iid
        s.extend_from_slice(&[0x33; 16]); // clsid of the marshaller
        s.extend_from_slice(&0u32.to_le_bytes());
        s.extend_from_slice(&704u32.to_le_bytes());
        s.extend_from_slice(&688u32.to_le_bytes()); // blob total size
        s.extend_from_slice(&0u32.to_le_bytes());
        let header_size = 68 + 16 * props.len() + 4 + 4 * props.len();
        s.extend_from_slice(&[1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc]);
        s.extend_from_slice(&((header_size - 16) as u32).to_le_bytes());
        s.extend_from_slice(&0u32.to_le_bytes());
        s.extend_from_slice(&688u32.to_le_bytes());
        s.extend_from_slice(&(header_size as u32).to_le_bytes());
        s.extend_from_slice(&0u32.to_le_bytes());
        s.extend_from_slice(&2u32.to_le_bytes()); // destination context
        s.extend_from_slice(&(props.len() as u32).to_le_bytes());
        s.extend_from_slice(&[0; 16]); // classInfoClsid
        s.extend_from_slice(&[0, 0, 2, 0, 4, 0, 2, 0, 0, 0, 0, 0]); // three pointers
        s.extend_from_slice(&(props.len() as u32).to_le_bytes());
        for (g, _) in props {
            s.extend_from_slice(g);
        }
        s.extend_from_slice(&(props.len() as u32).to_le_bytes());
        for (_, size) in props {
            s.extend_from_slice(&(*size as u32).to_le_bytes());
        }
        for (g, size) in props {
            let mut p = vec![
                1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc, 0, 0, 0, 0, 0, 0, 0, 0,
            ];
            if *g == INSTANTIATION_INFO {
                p.extend_from_slice(&class);
            }
            p.resize(*size, 0);
            s.extend_from_slice(&p);
        }
        s
    }

    const SPECIAL_SYSTEM: [u8; 16] = [0xb9, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46];
    /// Excel.Application, 00024500-0000-0000-c000-000000000046, wire order.
    const EXCEL: [u8; 16] = [0, 0x45, 0x02, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46];

    #[test]
    fn the_instantiated_class_is_read_after_the_properties_before_it() {
        let stub = activation(EXCEL, &[(SPECIAL_SYSTEM, 104), (INSTANTIATION_INFO, 88)]);
        let class = activated_class("iremotescmactivator", 3, &stub).expect("class");
        assert_eq!(class.to_string(), "00024500-0000-0000-c000-000000000046");
        assert_eq!(
            activated_class("iremotescmactivator", 4, &stub),
            Some(class)
        );
        // Not an activation call: nothing is read.
        assert_eq!(activated_class("iremunknown2", 3, &stub), None);
    }

    #[test]
    fn remote_activation_names_its_class_after_orpcthis() {
        let mut stub = vec![0u8; ORPCTHIS_LEN];
        stub.extend_from_slice(&EXCEL);
        let class = activated_class("iactivation", 0, &stub).expect("class");
        assert_eq!(class.to_string(), "00024500-0000-0000-c000-000000000046");
    }

    #[test]
    fn truncated_or_inconsistent_blobs_give_nothing() {
        let stub = activation(EXCEL, &[(SPECIAL_SYSTEM, 104), (INSTANTIATION_INFO, 88)]);
        for len in 0..stub.len() {
            // Any prefix either names the class (once its bytes are in) or nothing.
            if let Some(c) = activated_class("iremotescmactivator", 3, &stub[..len]) {
                assert_eq!(c.to_string(), "00024500-0000-0000-c000-000000000046");
            }
        }
        let mut bad = stub.clone();
        let meow = bad.windows(4).position(|w| w == OBJREF_SIGNATURE).unwrap();
        bad[meow + 56 + 32] = 200; // property count beyond the limit
        assert_eq!(activated_class("iremotescmactivator", 3, &bad), None);
        let no_info = activation(EXCEL, &[(SPECIAL_SYSTEM, 104)]);
        assert_eq!(activated_class("iremotescmactivator", 3, &no_info), None);
    }
}

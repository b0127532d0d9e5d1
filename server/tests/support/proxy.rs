//! A TCP proxy that injects network faults between relays: it passes bytes, delays
//! them, stalls them (a partition that drops every packet: connections hang, nothing
//! arrives), or cuts (open connections reset, new ones refused).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Pass,
    Delay(Duration),
    Stall,
    Cut,
}

pub struct Proxy {
    pub address: SocketAddr,
    target: Arc<Mutex<Option<SocketAddr>>>,
    fault: watch::Sender<Fault>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// A proxy on a free port; it forwards once it has a target.
    pub async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(None));
        let (fault, faults) = watch::channel(Fault::Pass);
        let task = tokio::spawn(accept(listener, Arc::clone(&target), faults));
        Proxy {
            address,
            target,
            fault,
            task,
        }
    }

    pub fn forward_to(&self, target: SocketAddr) {
        *self.target.lock().unwrap() = Some(target);
    }

    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(
    listener: TcpListener,
    target: Arc<Mutex<Option<SocketAddr>>>,
    faults: watch::Receiver<Fault>,
) {
    while let Ok((client, _)) = listener.accept().await {
        let Some(target) = *target.lock().unwrap() else {
            continue;
        };
        if *faults.borrow() == Fault::Cut {
            continue;
        }
        let faults = faults.clone();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(target).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::select! {
                () = pipe(client_read, server_write, faults.clone()) => {}
                () = pipe(server_read, client_write, faults) => {}
            }
        });
    }
}

/// Copies one direction under the current fault; returning ends both directions.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut faults: watch::Receiver<Fault>,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        // A stalled link reads nothing until the fault changes.
        loop {
            let fault = *faults.borrow_and_update();
            if fault != Fault::Stall {
                break;
            }
            if faults.changed().await.is_err() {
                return;
            }
        }
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            changed = faults.changed() => {
                if changed.is_err() {
                    return;
                }
                let fault = *faults.borrow();
                if fault == Fault::Cut {
                    return;
                }
                continue;
            }
        };
        let Ok(read) = read else { return };
        if read == 0 {
            return;
        }
        let fault = *faults.borrow();
        match fault {
            Fault::Cut => return,
            Fault::Delay(delay) => tokio::time::sleep(delay).await,
            Fault::Pass | Fault::Stall => {}
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
